"""The business figures for today, 7 and 30 days, as one table."""

from __future__ import annotations

from rich.table import Table
from textual.widgets import Static

from higgsctl.engine.business import Window

from .. import format as fmt

ROWS = (
    ("Generations", lambda w: f"{w.generations:,}"),
    ("Failed", lambda w: f"{w.failed:,}"),
    ("Failure rate", lambda w: fmt.rate(w.failed / w.generations if w.generations else 0.0)),
    ("Stars revenue", lambda w: f"{w.stars:,}"),
    ("Stars refunded", lambda w: f"{w.stars_refunded:,}"),
    ("Credits spent", lambda w: fmt.credits(w.credits_spent)),
    ("Credits granted", lambda w: fmt.credits(w.credits_granted)),
    ("Promo credits", lambda w: fmt.credits(w.promo_credits)),
    ("New users", lambda w: f"{w.new_users:,}"),
    ("Active users", lambda w: f"{w.active_users:,}"),
)


class FiguresPanel(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("…", id=id, classes="figures-panel")
        self.border_title = "Business (UTC days)"

    def show_windows(self, windows: tuple[Window, ...]) -> None:
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(ratio=1, no_wrap=True)
        for _ in range(3):
            table.add_column(justify="right", no_wrap=True)
        table.add_row("", *(f"[b]{t}[/]" for t in ("Today", "7 days", "30 days")))
        for label, value in ROWS:
            table.add_row(label, *(value(w) for w in windows))
        self.update(table)
