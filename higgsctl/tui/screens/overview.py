"""The overview: how the business is doing (today, 7 and 30 days, a 30-day trend) and what
needs an admin now (pending top-ups, long-running generations, the bot down, Higgsfield
failing), above the latest generations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Label

from higgsctl.engine import Generation, HistoryFilter
from higgsctl.engine.business import Figures

from ..messages import OpenGeneration
from ..widgets.figures_panel import FiguresPanel
from ..widgets.generations_table import GenerationsTable
from ..widgets.record_table import RecordTable
from ..widgets.stat_card import StatCard
from ..widgets.trend_panel import TrendPanel
from .base import EngineScreen

LATEST = 15


@dataclass(frozen=True)
class OverviewData:
    figures: Figures
    latest: list[Generation]


def age(since: datetime | None, now: datetime) -> str:
    """How long ago ``since`` was (see duration)."""
    return "—" if since is None else duration((now - since).total_seconds())


def duration(seconds: float) -> str:
    """In the largest unit that says it: 45 s, 12 min, 3 h 5 min, 4 d."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{seconds // 86400} d"


class OverviewScreen(EngineScreen):
    TITLE = "Overview"
    AUTO_FOCUS = "#latest"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="cards"):
            yield StatCard("Users", id="users")
            yield StatCard("Running", id="active")
            yield StatCard("Top-ups", id="pending")
            yield StatCard("Bot", id="bot")
            yield StatCard("Higgsfield", id="higgsfield")
        with Horizontal(id="business"):
            yield FiguresPanel(id="figures")
            yield TrendPanel(id="trend")
        yield Label("Latest generations", classes="section")
        yield GenerationsTable(id="latest")
        yield Footer()

    def fetch(self) -> OverviewData:
        return OverviewData(
            figures=self.engine.business.figures(),
            latest=self.engine.history.list(HistoryFilter(limit=LATEST)),
        )

    def show(self, data: OverviewData) -> None:
        f, now = data.figures, data.figures.now
        today = f.windows[0]
        blocked = f" · {f.blocked_users:,} blocked" if f.blocked_users else ""
        self.query_one("#users", StatCard).show_value(f"{f.users:,}", f"+{today.new_users:,} today{blocked}")
        longest = f"longest {duration(f.running[0].seconds)}" if f.running else "none running"
        self.query_one("#active", StatCard).show_value(f"{f.active_generations:,}", longest)
        self.query_one("#pending", StatCard).show_value(
            f"{f.pending_topups:,}", f"oldest {age(f.oldest_topup, now)}" if f.pending_topups else "all decided")
        self._show_bot(f, now)
        self._show_higgsfield(f, now)
        self.query_one("#figures", FiguresPanel).show_windows(f.windows)
        self.query_one("#trend", TrendPanel).show_series(f.generations_per_day, f.stars_per_day)
        self.query_one("#latest", GenerationsTable).show_generations(data.latest)

    def _show_bot(self, f: Figures, now: datetime) -> None:
        card, beat = self.query_one("#bot", StatCard), f.bot
        if beat is None:
            card.show_value("never run", "no heartbeat yet")
        elif beat.up(now):
            card.show_value("up", f"{age(beat.started_at, now)} · v{beat.version}")
        elif beat.stopped_at is not None:
            card.show_value("stopped", f"{age(beat.stopped_at, now)} ago")
        else:
            card.show_value("DOWN", f"silent {age(beat.beat_at, now)}")

    def _show_higgsfield(self, f: Figures, now: datetime) -> None:
        card, health = self.query_one("#higgsfield", StatCard), f.higgsfield
        failing = health.last_error is not None and (health.last_success is None
                                                      or health.last_error > health.last_success)
        if failing:
            card.show_value("failing", f"{age(health.last_error, now)} ago · {health.last_error_code}")
        elif health.last_success is not None:
            card.show_value("ok", f"last image {age(health.last_success, now)} ago")
        else:
            card.show_value("—", "no image yet")

    @on(RecordTable.Chosen, "#latest")
    def _open(self, event: RecordTable.Chosen) -> None:
        self.post_message(OpenGeneration(int(event.key)))
