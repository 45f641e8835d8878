"""`higgsctl export`: users, generations or the ledger as CSV or JSON (engine/exports.py)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import render
from .context import actor, open_engine


class Kind(str, Enum):
    users = "users"
    generations = "generations"
    ledger = "ledger"


class Format(str, Enum):
    csv = "csv"
    json = "json"


def export(
    kind: Annotated[Kind, typer.Argument(metavar="KIND", help="users, generations or ledger.", show_default=False)],
    fmt: Annotated[Format, typer.Option("--format", "-f", metavar="FORMAT", help="csv or json.")] = Format.csv,
    since: Annotated[Optional[str], typer.Option("--since", metavar="DATE", help="Only rows created at or after this date (UTC) or ISO time.", show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", metavar="FILE", help="Write here instead of stdout.", show_default=False)] = None,
) -> None:
    """Export users, generations or the ledger as CSV or JSON, streamed to a file or stdout.

    CSV cells that a spreadsheet would run as a formula (= + - @ Tab CR) start with a '.

    \b
    Examples:
      higgsctl export generations --format csv --since 2026-12-01 --out december.csv
      higgsctl export ledger --format json > ledger.json
    """
    from higgsctl.engine import ExportOptions
    from higgsctl.engine.exports import parse_since

    options = ExportOptions(kind.value, fmt.value, parse_since(since) if since else None)
    with open_engine() as engine:
        if out is None:
            engine.exports.write(options, sys.stdout, actor=actor(), destination="stdout")
            return
        count = engine.exports.write_file(options, out, actor=actor())
    render.note(f"Exported {count} {kind.value} rows to {render.escape(str(out))}.")
