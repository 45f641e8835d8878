"""The last 30 days, one bar per day: generations and Stars revenue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Sparkline

from ..format import literal


class TrendPanel(Vertical):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="trend-panel")
        self.border_title = "30 days"

    def compose(self) -> ComposeResult:
        yield Label("", id="generations-caption", classes="trend-caption")
        yield Sparkline([], id="generations-trend", summary_function=max)
        yield Label("", id="stars-caption", classes="trend-caption")
        yield Sparkline([], id="stars-trend", summary_function=max)

    def show_series(self, generations: tuple[int, ...], stars: tuple[int, ...]) -> None:
        self.query_one("#generations-caption", Label).update(
            literal(f"Generations a day, peak {max(generations, default=0):,}"))
        self.query_one("#generations-trend", Sparkline).data = list(generations)
        self.query_one("#stars-caption", Label).update(
            literal(f"Stars revenue a day, peak {max(stars, default=0):,} ⭐"))
        self.query_one("#stars-trend", Sparkline).data = list(stars)
