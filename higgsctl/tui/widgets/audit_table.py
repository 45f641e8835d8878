"""A page of the audit trail, newest first."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine import AuditEntry
from higgsctl.engine.audit import describe_change

from .. import format as fmt
from .record_table import Column, RecordTable


class AuditTable(RecordTable):
    COLUMNS = (
        Column("id", "#", justify="right"),
        Column("created_at", "When (UTC)"),
        Column("actor", "Who"),
        Column("action", "Action"),
        Column("target", "Target"),
        Column("change", "Change"),
        Column("reason", "Reason"),
    )

    def show_entries(self, entries: Iterable[AuditEntry]) -> None:
        self.show_rows((str(e.id), self._cells(e)) for e in entries)

    @staticmethod
    def _cells(e: AuditEntry) -> tuple:
        return (
            Text(str(e.id), justify="right"),
            fmt.when(e.created_at, seconds=True),
            fmt.literal(fmt.short(e.actor, 28)),
            fmt.literal(e.action),
            fmt.literal(e.target or ""),
            fmt.literal(fmt.short(describe_change(e.before, e.after), 48)),
            fmt.literal(fmt.short(e.reason, 40)),
        )
