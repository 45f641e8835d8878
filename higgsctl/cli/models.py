"""`higgsctl models`: the model catalog (from config, or the built-in one)."""

from __future__ import annotations

from typing import Annotated

import typer

from . import render
from .context import load_settings


def models(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the models you can generate with: price, reference limit, aspect ratios, options and
    the Higgsfield application path each is sent to.

    \b
    Example:
      higgsctl models --json
    """
    settings = load_settings()
    data = [{"key": s.key, "label": s.label, "price": s.price, "max_references": s.max_references,
             "aspect_ratios": list(s.aspect_ratios), "application": s.application,
             "edit_application": s.edit_application, "options": {k: list(v) for k, v in s.options.items()}}
            for s in settings.models.values()]
    if json_out:
        render.print_json(data)
        return
    render.table(["Key", "Label", "Price", "Max refs", "Aspect ratios", "Options", "Application"],
                 ([m["key"], m["label"], m["price"], m["max_references"], " ".join(m["aspect_ratios"]),
                   " ".join(f"{name}={'|'.join(values)}" for name, values in m["options"].items()),
                   m["application"] + (f" (edit: {m['edit_application']})" if m["edit_application"] else "")]
                  for m in data))


def styles(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the style presets `generate --style` and the bot's Style button offer.

    \b
    Example:
      higgsctl styles --json
    """
    settings = load_settings()
    data = [{"name": s.name, "labels": s.labels, "template": s.template, "model": s.model,
             "aspect_ratio": s.aspect_ratio} for s in settings.styles.values()]
    if json_out:
        render.print_json(data)
        return
    render.table(["Name", "Label", "Template", "Model", "Aspect"],
                 ([d["name"], d["labels"].get("en", ""), d["template"], d["model"] or "", d["aspect_ratio"] or ""]
                  for d in data))
