"""Top-up requests as ``engine.topups.recent`` returns them: pending first, user joined."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine import TopUpRequest

from .. import format as fmt
from .record_table import Column, RecordTable


class TopUpsTable(RecordTable):
    COLUMNS = (
        Column("id", "#", justify="right"),
        Column("status", "Status"),
        Column("user", "User"),
        Column("amount", "Requested", justify="right"),
        Column("granted", "Granted", justify="right"),
        Column("created_at", "Asked (UTC)"),
        Column("decided_by", "Decided by"),
        Column("decided_at", "Decided (UTC)"),
    )

    def show_topups(self, topups: Iterable[TopUpRequest]) -> None:
        self.show_rows((str(t.id), self._cells(t)) for t in topups)

    @staticmethod
    def _cells(t: TopUpRequest) -> tuple:
        return (
            Text(str(t.id), justify="right"),
            fmt.status(t.status),
            fmt.literal(f"{fmt.short(t.user.display_name, 32)} ({t.user_id})"),
            Text(fmt.credits(t.amount), justify="right"),
            Text(fmt.credits(t.granted), justify="right"),
            fmt.when(t.created_at),
            fmt.literal(fmt.short(t.decided_by, 24) or "—"),
            fmt.when(t.decided_at),
        )
