"""`higgsctl export`: users, generations or the ledger as CSV or JSON (engine/exports.py)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
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


def parse_since(text: str) -> datetime:
    """A date (from its start, UTC) or an ISO time; naive times are UTC."""
    from higgsctl.engine import InvalidInput

    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"--since {text!r} is not a date.", hint="Like 2026-12-01 or 2026-12-01T18:00.") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


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
    from higgsctl.engine import ExportOptions, InvalidInput

    options = ExportOptions(kind.value, fmt.value, parse_since(since) if since else None)
    with open_engine() as engine:
        if out is None:
            engine.exports.write(options, sys.stdout, actor=actor(), destination="stdout")
            return
        partial = out.with_name(out.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                count = engine.exports.write(options, stream, actor=actor(), destination=str(out.absolute()))
            partial.replace(out)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise InvalidInput(f"Cannot write {out}: {exc.strerror or exc}.") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    render.note(f"Exported {count} {kind.value} rows to {render.escape(str(out))}.")
