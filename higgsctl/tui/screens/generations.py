"""Generations: filter by status, model, user and prompt text; page through 100 at a time
(or jump to the first or last page); open one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header

from higgsctl.engine import ACTIVE, TERMINAL, Generation, HistoryFilter

from ..messages import OpenGeneration
from ..widgets.generation_filters import Filters, GenerationFilters
from ..widgets.generations_table import GenerationsWithErrorsTable
from ..widgets.pager import Pager
from ..widgets.record_table import RecordTable
from .base import PAGE_BINDINGS, PagedScreen

@dataclass(frozen=True)
class GenerationQuery:
    filters: Filters = Filters()
    offset: int = 0


@dataclass(frozen=True)
class GenerationsPage:
    query: GenerationQuery
    generations: list[Generation]
    total: int


class GenerationsScreen(PagedScreen):
    TITLE = "Generations"
    AUTO_FOCUS = "#generations"
    BINDINGS = [
        Binding("f", "filters", "Filter"),
        *PAGE_BINDINGS,
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.query_state = GenerationQuery()
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield GenerationFilters(ACTIVE + TERMINAL, list(self.engine.settings.models), id="filters")
        yield GenerationsWithErrorsTable(id="generations")
        yield Pager(id="pager")
        yield Footer()

    def fetch(self) -> GenerationsPage:
        q = self.query_state
        f = q.filters
        user_id = self.engine.users.resolve(f.user).id if f.user else None
        history = HistoryFilter(user_id=user_id, model=f.model, status=f.status, text=f.text, limit=self.page_size,
                                offset=q.offset)
        return GenerationsPage(q, self.engine.history.list(history), self.engine.history.count(history))

    def show(self, page: GenerationsPage) -> None:
        if page.query != self.query_state:
            return
        self.total = page.total
        self.query_one("#generations", GenerationsWithErrorsTable).show_generations(page.generations)
        self.query_one("#pager", Pager).show_page(page.query.offset, len(page.generations), page.total, self.page_size)

    def action_filters(self) -> None:
        self.query_one("#filters #status").focus()

    @on(GenerationFilters.Changed)
    def _filtered(self, event: GenerationFilters.Changed) -> None:
        self.change(filters=event.filters, offset=0)

    @on(RecordTable.Chosen, "#generations")
    def _open(self, event: RecordTable.Chosen) -> None:
        self.post_message(OpenGeneration(int(event.key)))
