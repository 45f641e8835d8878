"""The filter bar over the generations list: status, model, user and text in the prompt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from ..format import literal


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    model: str | None = None
    user: str | None = None  # "123" or "@name", resolved by the screen
    text: str | None = None  # what the prompt contains (any case, any script)


class GenerationFilters(Horizontal):
    class Changed(Message):
        def __init__(self, filters: Filters) -> None:
            super().__init__()
            self.filters = filters

    def __init__(self, statuses: Sequence[str], models: Sequence[str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.statuses = statuses
        self.models = models

    def compose(self) -> ComposeResult:
        yield Select([(s, s) for s in self.statuses], prompt="any status", id="status")
        yield Select([(literal(m), m) for m in self.models], prompt="any model", id="model")
        yield Input(placeholder="user id or @name (Enter)", id="user")
        yield Input(placeholder="prompt contains (Enter)", id="text")

    @property
    def filters(self) -> Filters:
        status = self.query_one("#status", Select).value
        model = self.query_one("#model", Select).value
        user = self.query_one("#user", Input).value.strip()
        text = self.query_one("#text", Input).value.strip()
        return Filters(
            status=None if status is Select.NULL else str(status),
            model=None if model is Select.NULL else str(model),
            user=user or None,
            text=text or None,
        )

    @on(Select.Changed)
    @on(Input.Submitted)
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed(self.filters))
