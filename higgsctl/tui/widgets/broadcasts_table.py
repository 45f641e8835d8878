"""Broadcasts as ``engine.broadcasts.list`` reports them: newest first, recipients counted by
state (left = not sent yet: pending or being sent)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine.broadcasts import Report

from .. import format as fmt
from .record_table import Column, RecordTable

STATUS_STYLES = {"queued": "yellow", "sending": "bold yellow", "paused": "magenta", "canceled": "dim", "done": "green"}


class BroadcastsTable(RecordTable):
    COLUMNS = (
        Column("id", "#", justify="right"),
        Column("status", "Status"),
        Column("audience", "Audience"),
        Column("sent", "Sent", justify="right"),
        Column("blocked", "Blocked", justify="right"),
        Column("failed", "Failed", justify="right"),
        Column("unknown", "Unknown", justify="right"),
        Column("left", "Left", justify="right"),
        Column("text", "Text"),
        Column("created_at", "Created (UTC)"),
    )

    def show_reports(self, reports: Iterable[Report]) -> None:
        self.show_rows((str(r.broadcast.id), self._cells(r)) for r in reports)

    @staticmethod
    def _cells(r: Report) -> tuple:
        b, counts = r.broadcast, r.counts
        left = counts.get("pending", 0) + counts.get("sending", 0)
        return (
            Text(str(b.id), justify="right"),
            fmt.literal(b.status, style=STATUS_STYLES.get(b.status, "")),
            fmt.literal(b.audience),
            *(Text(f"{counts.get(state, 0):,}", justify="right") for state in ("sent", "blocked", "failed", "unknown")),
            Text(f"{left:,}", justify="right"),
            fmt.literal(("📷 " if b.photo else "") + fmt.short(b.text, 36)),
            fmt.when(b.created_at),
        )
