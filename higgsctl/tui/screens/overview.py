"""The overview: live business figures and the latest generations."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Label

from higgsctl.engine import Generation, HistoryFilter, Overview

from ..messages import OpenGeneration
from ..widgets.generations_table import GenerationsTable
from ..widgets.period_panel import PeriodPanel
from ..widgets.record_table import RecordTable
from ..widgets.stat_card import StatCard
from .base import EngineScreen

LATEST = 15


@dataclass(frozen=True)
class OverviewData:
    overview: Overview
    latest: list[Generation]


class OverviewScreen(EngineScreen):
    TITLE = "Overview"
    AUTO_FOCUS = "#latest"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="cards"):
            yield StatCard("Users", id="users")
            yield StatCard("Active generations", id="active")
            yield StatCard("Pending top-ups", id="pending")
        with Horizontal(id="periods"):
            yield PeriodPanel("Last 24 hours", id="today")
            yield PeriodPanel("Last 7 days", id="week")
        yield Label("Latest generations", classes="section")
        yield GenerationsTable(id="latest")
        yield Footer()

    def fetch(self) -> OverviewData:
        return OverviewData(
            overview=self.engine.history.overview(),
            latest=self.engine.history.list(HistoryFilter(limit=LATEST)),
        )

    def show(self, data: OverviewData) -> None:
        o = data.overview
        self.query_one("#users", StatCard).show_value(f"{o.users:,}", f"{o.blocked_users:,} blocked")
        self.query_one("#active", StatCard).show_value(f"{o.active_generations:,}", "running now")
        self.query_one("#pending", StatCard).show_value(
            f"{o.pending_topups:,}", "press 3 to review" if o.pending_topups else "all decided"
        )
        self.query_one("#today", PeriodPanel).show_period(o.today)
        self.query_one("#week", PeriodPanel).show_period(o.week)
        self.query_one("#latest", GenerationsTable).show_generations(data.latest)

    @on(RecordTable.Chosen, "#latest")
    def _open(self, event: RecordTable.Chosen) -> None:
        self.post_message(OpenGeneration(int(event.key)))
