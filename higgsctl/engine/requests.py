"""What a face asks for, and the checks it must pass before any credit moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import LimitSettings, Settings
from .errors import InvalidInput

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class GenerationRequest:
    user_id: int
    model: str
    prompt: str
    aspect_ratio: str
    references: tuple[Path, ...] = ()
    source: str = "cli"  # cli | bot
    chat_id: int | None = None
    status_message_id: int | None = None


@dataclass(frozen=True)
class Reference:
    path: Path
    content_type: str
    size: int


@dataclass(frozen=True)
class CheckedRequest:
    request: GenerationRequest
    prompt: str
    cost: int
    references: tuple[Reference, ...] = field(default=())


def check_request(settings: Settings, request: GenerationRequest) -> CheckedRequest:
    """Validate everything that can be known before charging. Blocking (reads files): run
    it off the event loop."""
    spec = settings.model(request.model)
    prompt = " ".join(request.prompt.split())
    if not prompt:
        raise InvalidInput("The prompt is empty.", hint="Describe the image you want.", code="prompt_empty")
    limit = settings.limits.max_prompt_chars
    if len(prompt) > limit:
        raise InvalidInput(f"The prompt is {len(prompt)} characters long; the limit is {limit}.",
                           code="prompt_too_long", length=len(prompt), limit=limit)
    if request.aspect_ratio not in spec.aspect_ratios:
        raise InvalidInput(
            f"{spec.label} does not offer aspect ratio {request.aspect_ratio!r}.",
            hint=f"Choose one of: {', '.join(spec.aspect_ratios)}.",
            code="aspect_unsupported", model=spec.label, aspect=request.aspect_ratio,
            choices=", ".join(spec.aspect_ratios),
        )
    if len(request.references) > spec.max_references:
        raise InvalidInput(
            f"{spec.label} takes at most {spec.max_references} reference photos; {len(request.references)} were given.",
            code="too_many_references", model=spec.label, max=spec.max_references, count=len(request.references),
        )
    references = tuple(check_reference(Path(p), settings.limits) for p in request.references)
    return CheckedRequest(request=request, prompt=prompt, cost=spec.price, references=references)


def check_reference(path: Path, limits: LimitSettings) -> Reference:
    """One reference file, as every face checks it: it exists, is within the limits in bytes
    and in pixels (checked before any pixel is decoded) and decodes completely as JPEG, PNG,
    WebP or GIF (see images.inspect_image and the codes of its refusals)."""
    from .images import inspect_image  # Pillow: only when a reference is checked

    max_bytes = limits.max_reference_mb * 1024 * 1024
    if not path.is_file():
        raise InvalidInput(f"Reference file {path.name!r} does not exist.", code="reference_missing", name=path.name)
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput(
            f"Reference {path.name!r} is {size / 1048576:.1f} MB; the limit is {max_bytes // 1048576} MB.",
            code="reference_too_big", name=path.name, size=size / 1048576, limit=max_bytes // 1048576,
        )
    info = inspect_image(path, limits.max_reference_megapixels)
    return Reference(path=path, content_type=CONTENT_TYPES[info.format], size=size)
