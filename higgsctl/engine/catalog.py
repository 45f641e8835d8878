"""The model catalog: which Higgsfield applications we sell, at what price, with which options.

It lives in config (``[models.<key>]``) because the real application paths for Nano Banana
and Seedream 4.5 are not all confirmed; an operator changes them without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

REFERENCE_FIELDS = ("input_images", "image_urls")
DEFAULT_ASPECTS = ("1:1", "4:3", "3:4", "16:9", "9:16", "21:9")


@dataclass(frozen=True)
class ModelSpec:
    key: str
    label: str
    application: str
    price: int = 50
    max_references: int = 8
    aspect_ratios: tuple[str, ...] = DEFAULT_ASPECTS
    reference_field: str = "input_images"
    # Some providers split text-to-image and edit into two paths (Seedream does).
    edit_application: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)
    # Choices the user may make per request (e.g. resolution 2K/4K), each sent as an argument
    # of that name; the first value of each is the default.
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def option_values(self, chosen: dict[str, str] | None = None) -> dict[str, str]:
        """Every option with its value: the chosen one, else the default. Unknown options or
        values are InvalidInput (code option_invalid)."""
        from .errors import InvalidInput

        chosen = dict(chosen or {})
        values = {name: choices[0] for name, choices in self.options.items()}
        for name, value in chosen.items():
            if name not in self.options or value not in self.options[name]:
                choices = ", ".join(f"{n}={'|'.join(v)}" for n, v in self.options.items()) or "none"
                raise InvalidInput(f"{self.label} has no option {name}={value}.", hint=f"Options: {choices}.",
                                   code="option_invalid", model=self.label, option=f"{name}={value}")
            values[name] = value
        return values

    def application_for(self, reference_count: int) -> str:
        return self.edit_application if reference_count and self.edit_application else self.application

    def arguments_for(self, prompt: str, aspect_ratio: str, reference_urls: list[str],
                      options: dict[str, str] | None = None) -> dict[str, Any]:
        args: dict[str, Any] = {**self.arguments, **self.option_values(options), "prompt": prompt,
                                "aspect_ratio": aspect_ratio}
        if reference_urls:
            if self.reference_field == "image_urls":
                args["image_urls"] = list(reference_urls)
            else:
                args["input_images"] = [{"type": "image_url", "image_url": url} for url in reference_urls]
        return args


def default_catalog() -> dict[str, ModelSpec]:
    return {
        "nano-banana": ModelSpec(
            key="nano-banana", label="Nano Banana", application="nano-banana",
            max_references=8, reference_field="input_images",
            arguments={"num_images": 1},
            options={"output_format": ("png", "jpeg")},
        ),
        "seedream-4.5": ModelSpec(
            key="seedream-4.5", label="Seedream 4.5",
            application="bytedance/seedream/v4.5/text-to-image",
            edit_application="bytedance/seedream/v4.5/edit",
            max_references=14, reference_field="image_urls",
            options={"resolution": ("2K", "4K")},
        ),
    }


_FIELDS = {
    "label": str, "application": str, "edit_application": str, "price": int,
    "max_references": int, "aspect_ratios": list, "reference_field": str, "arguments": dict,
    "options": dict,
}


def parse_catalog(raw: Any, path: Path) -> dict[str, ModelSpec]:
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{path}: [models] must hold at least one [models.<key>] table.")
    catalog: dict[str, ModelSpec] = {}
    for key, table in raw.items():
        where = f"[models.{key}]" if "." not in key else f'[models."{key}"]'
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {where} must be a table.")
        for name, value in table.items():
            kind = _FIELDS.get(name)
            if kind is None:
                raise ConfigError(f"{path}: unknown key {where} {name}.", hint=f"Known keys: {', '.join(_FIELDS)}.")
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(f"{path}: {where} {name} has the wrong type ({value!r}).")
        for required in ("label", "application"):
            if required not in table:
                raise ConfigError(f"{path}: {where} {required} is missing.")
        options = table.get("options", {})
        if not all(isinstance(v, list) and v and all(isinstance(x, str) and x for x in v) for v in options.values()):
            raise ConfigError(f"{path}: {where} options must map each name to a list of values, "
                              "the default first (like resolution = [\"2K\", \"4K\"]).")
        fields = {k: tuple(v) if k == "aspect_ratios" else v for k, v in table.items() if k != "options"}
        spec = ModelSpec(key=key, options={name: tuple(values) for name, values in options.items()}, **fields)
        if spec.price <= 0:
            raise ConfigError(f"{path}: {where} price must be positive.")
        if spec.max_references < 0:
            raise ConfigError(f"{path}: {where} max_references must not be negative.")
        if spec.reference_field not in REFERENCE_FIELDS:
            raise ConfigError(f"{path}: {where} reference_field must be one of {', '.join(REFERENCE_FIELDS)}.")
        if not spec.aspect_ratios or not all(isinstance(a, str) and _is_ratio(a) for a in spec.aspect_ratios):
            raise ConfigError(f"{path}: {where} aspect_ratios must be a list like [\"1:1\", \"16:9\"].")
        catalog[key] = spec
    return catalog


def _is_ratio(text: str) -> bool:
    parts = text.split(":")
    return text == "auto" or (len(parts) == 2 and all(p.isdigit() and int(p) > 0 for p in parts))
