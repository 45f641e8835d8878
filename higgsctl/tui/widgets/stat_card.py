"""One figure on the overview: a label, a big value and an optional note."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from ..format import literal


class StatCard(Vertical):
    def __init__(self, label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="stat-card")
        self.border_title = label

    def compose(self) -> ComposeResult:
        yield Label("…", classes="stat-value")
        yield Label("", classes="stat-note")

    def show_value(self, value: str, note: str = "") -> None:
        self.query_one(".stat-value", Label).update(literal(value))
        self.query_one(".stat-note", Label).update(literal(note))

    @property
    def value(self) -> str:
        return str(self.query_one(".stat-value", Label).content)

    @property
    def note(self) -> str:
        return str(self.query_one(".stat-note", Label).content)
