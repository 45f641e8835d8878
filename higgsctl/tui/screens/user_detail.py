"""One user: balance, ledger and generations; grant credits, block or unblock."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Label

from higgsctl.engine import Generation, HistoryFilter, LedgerEntry, TopUpRequest, User

from ..format import plain
from ..messages import OpenGeneration
from ..widgets.generations_table import GenerationsTable
from ..widgets.ledger_table import LedgerTable
from ..widgets.record_table import RecordTable
from ..widgets.user_card import UserCard
from .base import EngineScreen, Failed
from .dialogs import AmountChoice, AmountDialog, ConfirmDialog
from .reason_dialog import ReasonDialog

LEDGER_ROWS = 100
GENERATION_ROWS = 50


@dataclass(frozen=True)
class UserData:
    user: User
    generation_count: int
    ledger: list[LedgerEntry]
    generations: list[Generation]
    pending: TopUpRequest | None = None  # a top-up request waiting for an admin


class UserDetailScreen(EngineScreen):
    TITLE = "User"
    AUTO_FOCUS = "#ledger"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("g", "grant", "Grant credits"),
        Binding("b", "toggle_block", "Block/unblock"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, user_id: int, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.user_id = user_id
        self.user: User | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield UserCard(id="card")
        yield Label(f"Ledger (latest {LEDGER_ROWS}, newest first)", classes="section")
        yield LedgerTable(id="ledger")
        yield Label(f"Generations (latest {GENERATION_ROWS})", classes="section")
        yield GenerationsTable(id="generations")
        yield Footer()

    def fetch(self) -> UserData:
        user = self.engine.users.get(self.user_id)
        mine = HistoryFilter(user_id=self.user_id, limit=GENERATION_ROWS)
        return UserData(
            user=user,
            generation_count=self.engine.history.count(mine),
            ledger=self.engine.credits.ledger(self.user_id, limit=LEDGER_ROWS),
            generations=self.engine.history.list(mine),
            pending=self.engine.topups.pending_for(self.user_id),
        )

    def show(self, data: UserData) -> None:
        self.user = data.user
        self.sub_title = plain(data.user.display_name)
        self.query_one("#card", UserCard).show_user(data.user, data.generation_count, data.pending)
        self.query_one("#ledger", LedgerTable).show_entries(data.ledger)
        self.query_one("#generations", GenerationsTable).show_generations(data.generations)

    @property
    def name_shown(self) -> str:
        return self.user.display_name if self.user else str(self.user_id)

    # --- grant -----------------------------------------------------------------------

    def action_grant(self) -> None:
        self.app.push_screen(
            AmountDialog(f"Grant credits to {self.name_shown}", ask_reason=True), self._grant_amount
        )

    def _grant_amount(self, choice: AmountChoice | None) -> None:
        if choice is None:
            return
        question = f"Grant {choice.amount:,} credits to {self.name_shown}?"
        if choice.reason:
            question += f"\nReason: {choice.reason}"
        self.app.push_screen(ConfirmDialog(question, yes="Grant"), lambda yes: self.grant(choice) if yes else None)

    @work(thread=True, exclusive=True, group="write")
    def grant(self, choice: AmountChoice) -> None:
        try:
            balance = self.call_engine(
                self.engine.credits.grant, self.user_id, choice.amount, actor=self.app.actor, note=choice.reason
            )
        except Failed:
            return
        self.app.notify(f"Granted {choice.amount:,} credits to {self.name_shown}; balance {balance:,}.")
        self.deliver(self.reload)

    # --- block -----------------------------------------------------------------------

    def action_toggle_block(self) -> None:
        if self.user is None:
            return
        block = not self.user.blocked
        verb = "Block" if block else "Unblock"
        self.app.push_screen(
            ReasonDialog(f"{verb} {self.name_shown}?", yes=verb),
            lambda choice: self.set_blocked(block, choice.reason) if choice else None,
        )

    @work(thread=True, exclusive=True, group="write")
    def set_blocked(self, blocked: bool, reason: str | None = None) -> None:
        try:
            self.call_engine(self.engine.users.set_blocked, self.user_id, blocked, actor=self.app.actor, reason=reason)
        except Failed:
            return
        self.app.notify(f"{self.name_shown} is {'blocked' if blocked else 'unblocked'}.")
        self.deliver(self.reload)

    @on(RecordTable.Chosen, "#generations")
    def _open(self, event: RecordTable.Chosen) -> None:
        self.post_message(OpenGeneration(int(event.key)))
