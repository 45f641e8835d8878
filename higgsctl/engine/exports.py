"""Exports of users, generations and the ledger as CSV or JSON, streamed: rows are read in
pages by id (keyset, so page 100 costs what page 1 does) and written as they come, never all
in memory. Each export is written to the audit trail.

CSV cells a spreadsheet would run as a formula (starting with = + - @ Tab or CR) get a
leading ``'``: an exported prompt or name can't become a formula on the operator's machine.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, TextIO

from peewee import Model

from .audit import Audit
from .errors import InvalidInput
from .models import Generation, LedgerEntry, User

PAGE = 1000
FORMATS = ("csv", "json")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# kind -> (model, columns in order). A column is a field name; foreign keys by their id.
TABLES: dict[str, tuple[type[Model], tuple[str, ...]]] = {
    "users": (User, ("id", "username", "first_name", "last_name", "language", "balance", "blocked",
                     "created_at", "last_seen_at")),
    "generations": (Generation, ("id", "user", "model", "prompt", "aspect_ratio", "style", "options", "batch",
                                 "source", "status", "error_code", "error", "cost", "charge", "result_files",
                                 "created_at", "submitted_at", "finished_at", "delivered_at")),
    "ledger": (LedgerEntry, ("id", "user", "amount", "reason", "actor", "note", "generation", "topup",
                             "created_at")),
}
KINDS = tuple(TABLES)


@dataclass(frozen=True)
class ExportOptions:
    kind: str
    format: str = "csv"
    since: datetime | None = None  # rows created at or after this (UTC)

    def check(self) -> None:
        if self.kind not in TABLES:
            raise InvalidInput(f"Cannot export {self.kind!r}: choose one of {', '.join(KINDS)}.")
        if self.format not in FORMATS:
            raise InvalidInput(f"Unknown export format {self.format!r}: choose csv or json.")


def parse_since(text: str) -> datetime:
    """A date (from its start, UTC) or an ISO time (naive: UTC) for ``since``."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"Since {text!r} is not a date.", hint="Like 2026-12-01 or 2026-12-01T18:00.") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def column_names(kind: str) -> list[str]:
    model, columns = TABLES[kind]
    return [model._meta.fields[c].column_name for c in columns]  # user -> user_id


def rows(options: ExportOptions) -> Iterator[dict[str, Any]]:
    """The rows to export, oldest id first, one page of PAGE at a time."""
    options.check()
    model, columns = TABLES[options.kind]
    fields = [model._meta.fields[c] for c in columns]
    names = column_names(options.kind)
    query = model.select(*fields)
    if options.since is not None:
        query = query.where(model.created_at >= options.since)
    last = None
    while True:
        page = query.where(model.id > last) if last is not None else query
        batch = list(page.order_by(model.id).limit(PAGE).tuples())
        for values in batch:
            yield dict(zip(names, values))
        if len(batch) < PAGE:
            return
        last = batch[-1][0]


def safe_cell(value: Any) -> Any:
    """A CSV cell as text, defused if a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (list, dict)):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _json_value(value: Any) -> Any:
    return value.isoformat(timespec="seconds") if isinstance(value, datetime) else value


def write_csv(options: ExportOptions, out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; a CR inside a cell is then quoted
    writer.writerow(column_names(options.kind))
    count = 0
    for row in rows(options):
        writer.writerow([safe_cell(v) for v in row.values()])
        count += 1
    return count


def write_json(options: ExportOptions, out: TextIO) -> int:
    """A JSON array, one object per line (so a reader can also stream it)."""
    count = 0
    out.write("[")
    for row in rows(options):
        out.write(",\n" if count else "\n")
        out.write(json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


class Exports:
    def __init__(self, audit: Audit) -> None:
        self.audit = audit

    def write(self, options: ExportOptions, out: TextIO, *, actor: str, destination: str | None = None) -> int:
        """Write the export to ``out``; returns the number of rows. Recorded in the audit trail
        (after it is written: an export changes nothing to tie the entry to)."""
        options.check()
        count = (write_csv if options.format == "csv" else write_json)(options, out)
        self.audit.record(actor, "export", target=f"export:{options.kind}",
                          after={"format": options.format, "rows": count, "to": destination,
                                 "since": options.since.isoformat(timespec="seconds") if options.since else None})
        return count

    def write_file(self, options: ExportOptions, path: Path, *, actor: str) -> int:
        """Write the export to ``path`` (through ``path.partial``, renamed when complete: a
        failed export never leaves a half file under the real name). Returns the row count."""
        options.check()
        partial = path.with_name(path.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as stream:
                count = self.write(options, stream, actor=actor, destination=str(path.absolute()))
            partial.replace(path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise InvalidInput(f"Cannot write {path}: {exc.strerror or exc}.") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return count
