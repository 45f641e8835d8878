"""Style presets: a named prompt template (``{prompt}`` is the user's text), a label per
language and optionally the model and aspect the style is best with. Config: ``[styles.<name>]``;
defining any replaces the built-in set, ``[styles]`` left empty switches styles off."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

PLACEHOLDER = "{prompt}"


@dataclass(frozen=True)
class StyleSpec:
    name: str
    template: str  # holds {prompt} once
    labels: dict[str, str] = field(default_factory=dict)  # language → label; "en" is the fallback
    model: str | None = None
    aspect_ratio: str | None = None

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels.get("en") or self.name

    def apply(self, prompt: str) -> str:
        return self.template.replace(PLACEHOLDER, prompt)


def default_styles() -> dict[str, StyleSpec]:
    def style(name: str, en: str, ru: str, template: str, **extra) -> StyleSpec:
        return StyleSpec(name=name, template=template, labels={"en": en, "ru": ru}, **extra)

    return {s.name: s for s in (
        style("photo", "📷 Photo", "📷 Фото", "{prompt}, photorealistic, natural light, 35mm photograph, sharp focus"),
        style("anime", "🌸 Anime", "🌸 Аниме", "{prompt}, anime style, clean line art, vibrant cel shading"),
        style("oil", "🖼 Oil painting", "🖼 Масло", "{prompt}, oil painting on canvas, visible brush strokes"),
        style("pixel", "👾 Pixel art", "👾 Пиксель-арт", "{prompt}, pixel art, 16-bit palette, crisp pixels",
              aspect_ratio="1:1"),
        style("poster", "🎬 Cinematic", "🎬 Кино", "{prompt}, cinematic still, dramatic lighting, film grain",
              aspect_ratio="16:9"),
    )}


_FIELDS = {"template": str, "label": dict, "model": str, "aspect_ratio": str}


def parse_styles(raw: Any, path: Path, models: dict) -> dict[str, StyleSpec]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: [styles] must be a table of [styles.<name>] tables.")
    styles: dict[str, StyleSpec] = {}
    for name, table in raw.items():
        where = f"[styles.{name}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {where} must be a table.")
        for key, value in table.items():
            kind = _FIELDS.get(key)
            if kind is None:
                raise ConfigError(f"{path}: unknown key {where} {key}.", hint=f"Known keys: {', '.join(_FIELDS)}.")
            if not isinstance(value, kind):
                raise ConfigError(f"{path}: {where} {key} has the wrong type ({value!r}).")
        template = table.get("template", "")
        if template.count(PLACEHOLDER) != 1:
            raise ConfigError(f"{path}: {where} template must hold {PLACEHOLDER} exactly once.")
        labels = table.get("label", {})
        if not all(isinstance(v, str) and v.strip() for v in labels.values()):
            raise ConfigError(f"{path}: {where} label must map languages to text, like {{ en = \"Photo\", ru = \"Фото\" }}.")
        model = table.get("model")
        if model is not None and model not in models:
            raise ConfigError(f"{path}: {where} model {model!r} is not in the catalog.", hint=f"Known: {', '.join(models)}.")
        if model is not None and table.get("aspect_ratio") not in (None, *models[model].aspect_ratios):
            raise ConfigError(f"{path}: {where} aspect_ratio is not one {models[model].label} offers.")
        styles[name] = StyleSpec(name=name, template=template, labels=dict(labels), model=model,
                                 aspect_ratio=table.get("aspect_ratio"))
    return styles
