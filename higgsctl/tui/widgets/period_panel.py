"""Generation figures for one period (last 24 hours, last 7 days)."""

from __future__ import annotations

from rich.table import Table
from textual.widgets import Static

from higgsctl.engine.history import Period

from .. import format as fmt


class PeriodPanel(Static):
    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__("…", id=id, classes="period-panel")
        self.border_title = title

    def show_period(self, period: Period) -> None:
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column(ratio=1)
        table.add_column(justify="right")
        for label, value in (
            ("Generations", f"{period.generations:,}"),
            ("Completed", f"{period.completed:,}"),
            ("Failed / timed out", f"{period.failed:,}"),
            ("NSFW", f"{period.nsfw:,}"),
            ("Failure rate", fmt.rate(period.failure_rate)),
            ("NSFW rate", fmt.rate(period.nsfw_rate)),
            ("Credits spent", fmt.credits(period.credits_spent)),
        ):
            table.add_row(label, value)
        self.update(table)
