"""Stars payments as ``engine.payments.list`` returns them: newest first, user joined."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine import Payment

from .. import format as fmt
from .record_table import Column, RecordTable


class PaymentsTable(RecordTable):
    COLUMNS = (
        Column("id", "#", justify="right"),
        Column("status", "Status"),
        Column("user", "User"),
        Column("stars", "Stars", justify="right"),
        Column("credits", "Credits", justify="right"),
        Column("taken_back", "Taken back", justify="right"),
        Column("created_at", "Paid (UTC)"),
        Column("charge_id", "Charge id"),
    )

    def show_payments(self, payments: Iterable[Payment]) -> None:
        self.show_rows((str(p.id), self._cells(p)) for p in payments)

    @staticmethod
    def _cells(p: Payment) -> tuple:
        status = p.status + (" (outside)" if p.refund_origin == "telegram" else "")
        return (
            Text(str(p.id), justify="right"),
            fmt.literal(status),
            fmt.literal(f"{fmt.short(p.user.display_name, 32)} ({p.user_id})"),
            Text(f"{p.stars:,}", justify="right"),
            Text(fmt.credits(p.credits), justify="right"),
            Text(fmt.credits(p.taken_back) + (f" ({p.shortfall:,} short)" if p.shortfall else ""), justify="right"),
            fmt.when(p.created_at),
            fmt.literal(fmt.short(p.charge_id, 40)),
        )
