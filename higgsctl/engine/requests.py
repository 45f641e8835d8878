"""What a face asks for, and the checks it must pass before any credit moves."""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from .config import LimitSettings, Settings
from .errors import InvalidInput

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_COUNT = 4  # images per request: each its own generation, all held at once or none


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
    count: int = 1  # 1..MAX_COUNT images, each its own generation row (one batch)
    style: str | None = None  # a [styles] preset; its template wraps the prompt
    options: tuple[tuple[str, str], ...] = ()  # the model's per-request options (name, value)


@dataclass(frozen=True)
class Reference:
    path: Path
    content_type: str
    size: int


@dataclass(frozen=True)
class CheckedRequest:
    request: GenerationRequest
    prompt: str  # what is sent: the user's text, wrapped by the style's template
    cost: int  # per image; the batch holds cost × request.count
    references: tuple[Reference, ...] = field(default=())
    options: dict[str, str] = field(default_factory=dict)  # every option of the model, defaults filled in


def is_text(value: str) -> bool:
    """False for strings holding undecodable bytes (surrogate escapes from argv or a file name)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_request(settings: Settings, request: GenerationRequest) -> CheckedRequest:
    """Validate everything that can be known before charging. Blocking (reads files): run
    it off the event loop."""
    spec = settings.model(request.model)
    prompt = " ".join(request.prompt.split())
    if not is_text(prompt):
        raise InvalidInput("The prompt contains bytes that are not valid UTF-8 text.",
                           hint="Check the terminal's encoding (locale), or retype the prompt.")
    if not prompt:
        raise InvalidInput("The prompt is empty.", hint="Describe the image you want.", code="prompt_empty")
    if not 1 <= request.count <= MAX_COUNT:
        raise InvalidInput(f"Ask for 1 to {MAX_COUNT} images, not {request.count}.", code="count_invalid",
                           count=request.count, max=MAX_COUNT)
    options = spec.option_values(dict(request.options))
    limit = settings.limits.max_prompt_chars
    if len(prompt) > limit:
        raise InvalidInput(f"The prompt is {len(prompt)} characters long; the limit is {limit}.",
                           code="prompt_too_long", length=len(prompt), limit=limit)
    if request.style is not None:  # the limit is on the user's own text; the template adds to it
        prompt = settings.style(request.style).apply(prompt)
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
    return CheckedRequest(request=request, prompt=prompt, cost=spec.price, references=references, options=options)


def _not_a_regular_file(path: Path) -> str | None:
    """What is wrong with a path that should name a readable regular file, or None."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    for test, what in ((stat.S_ISDIR, "is a directory"), (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
                       (stat.S_ISCHR, "is a device, not a file"), (stat.S_ISBLK, "is a device, not a file"),
                       (stat.S_ISSOCK, "is a socket, not a file")):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "is not a regular file"


def check_reference(path: Path, limits: LimitSettings) -> Reference:
    """One reference file, as every face checks it: it exists, is within the limits in bytes
    and in pixels (checked before any pixel is decoded) and decodes completely as JPEG, PNG,
    WebP or GIF (see images.inspect_image and the codes of its refusals)."""
    from .images import inspect_image  # Pillow: only when a reference is checked

    max_bytes = limits.max_reference_mb * 1024 * 1024
    problem = _not_a_regular_file(path)  # a directory, FIFO or device is named as such
    if problem:
        raise InvalidInput(f"Reference {path.name or str(path)!r} {problem}.", hint="Give the path of an image file.",
                           code="reference_missing", name=path.name)
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidInput(
            f"Reference {path.name!r} is {size / 1048576:.1f} MB; the limit is {max_bytes // 1048576} MB.",
            code="reference_too_big", name=path.name, size=size / 1048576, limit=max_bytes // 1048576,
        )
    info = inspect_image(path, limits.max_reference_megapixels)
    return Reference(path=path, content_type=CONTENT_TYPES[info.format], size=size)
