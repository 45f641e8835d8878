"""A user's credit ledger, newest first."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine import LedgerEntry

from .. import format as fmt
from .record_table import Column, RecordTable


class LedgerTable(RecordTable):
    COLUMNS = (
        Column("id", "#", justify="right"),
        Column("created_at", "When (UTC)"),
        Column("amount", "Amount", justify="right"),
        Column("reason", "Reason"),
        Column("actor", "By"),
        Column("note", "Note"),
    )

    def show_entries(self, entries: Iterable[LedgerEntry]) -> None:
        self.show_rows((str(e.id), self._cells(e)) for e in entries)

    @staticmethod
    def _cells(e: LedgerEntry) -> tuple:
        amount = fmt.signed(e.amount)
        amount.justify = "right"
        return (
            Text(str(e.id), justify="right"),
            fmt.when(e.created_at, seconds=True),
            amount,
            fmt.literal(e.reason),
            fmt.literal(fmt.short(e.actor, 24)),
            fmt.literal(fmt.short(e.note, 40)),
        )
