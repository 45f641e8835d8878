"""`higgsctl models`: the model catalog (from config, or the built-in one)."""

from __future__ import annotations

from typing import Annotated

import typer

from . import render
from .context import load_settings


def models(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the models you can generate with: price, reference limit, aspect ratios and the
    Higgsfield application path each is sent to.

    \b
    Example:
      higgsctl models --json
    """
    settings = load_settings()
    data = [{"key": s.key, "label": s.label, "price": s.price, "max_references": s.max_references,
             "aspect_ratios": list(s.aspect_ratios), "application": s.application,
             "edit_application": s.edit_application} for s in settings.models.values()]
    if json_out:
        render.print_json(data)
        return
    render.table(["Key", "Label", "Price", "Max refs", "Aspect ratios", "Application"],
                 ([m["key"], m["label"], m["price"], m["max_references"], " ".join(m["aspect_ratios"]),
                   m["application"] + (f" (edit: {m['edit_application']})" if m["edit_application"] else "")]
                  for m in data))
