"""One generation: prompt, references, timings, error, charge and absolute result paths."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header

from higgsctl.engine import HiggsctlError

from ..messages import OpenUser
from ..widgets.generation_card import GenerationCard, GenerationDetails
from .base import EngineScreen


class GenerationDetailScreen(EngineScreen):
    TITLE = "Generation"
    AUTO_FOCUS = "#detail-scroll"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("u", "open_user", "User"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, generation_id: int, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.generation_id = generation_id
        self.details: GenerationDetails | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail-scroll"):
            yield GenerationCard(id="card")
        yield Footer()

    def fetch(self) -> GenerationDetails:
        generation = self.engine.generations.get(self.generation_id)
        return GenerationDetails(
            generation=generation,
            user=self.engine.users.get(generation.user_id),
            references=[self._absolute(p) for p in generation.references or []],
            results=[self._absolute(p) for p in generation.result_files or []],
        )

    def _absolute(self, stored: str) -> str:
        try:
            return str(self.engine.store.inside(stored))
        except HiggsctlError as exc:
            return f"{stored} (refused: {exc.message})"

    def show(self, details: GenerationDetails) -> None:
        self.details = details
        self.sub_title = f"#{details.generation.id} · {details.generation.status}"
        self.query_one("#card", GenerationCard).show_details(details)

    def action_open_user(self) -> None:
        if self.details is not None:
            self.post_message(OpenUser(self.details.generation.user_id))
