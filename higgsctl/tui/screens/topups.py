"""Top-up requests: pending first; approve (the requested or another amount) or reject.

Decisions go through ``engine.topups`` with actor "tui", exactly as from Telegram; the bot
tells the user by reading the decision from the database.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Label

from higgsctl.engine import TopUpRequest

from ..messages import OpenUser
from ..widgets.record_table import RecordTable
from ..widgets.topups_table import TopUpsTable
from .base import EngineScreen, Failed
from .dialogs import AmountChoice, AmountDialog, ConfirmDialog
from .reason_dialog import ReasonChoice, ReasonDialog



class TopUpsScreen(EngineScreen):
    TITLE = "Top-up requests"
    AUTO_FOCUS = "#topups"
    BINDINGS = [
        Binding("a", "approve", "Approve"),
        Binding("e", "approve_other", "Approve other amount"),
        Binding("r", "reject", "Reject"),
        Binding("u", "open_user", "User"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.topups: dict[str, TopUpRequest] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Pending requests first, then the latest decisions", classes="section")
        yield TopUpsTable(id="topups")
        yield Footer()

    def fetch(self) -> list[TopUpRequest]:
        return self.engine.topups.recent()

    def show(self, topups: list[TopUpRequest]) -> None:
        self.topups = {str(t.id): t for t in topups}
        self.query_one("#topups", TopUpsTable).show_topups(topups)

    # --- choosing a request ----------------------------------------------------------

    def selected(self) -> TopUpRequest | None:
        """The highlighted request if it is still pending (warns otherwise)."""
        key = self.query_one("#topups", TopUpsTable).highlighted_key
        topup = self.topups.get(key) if key else None
        if topup is None:
            self.notify("No top-up request selected.", severity="warning")
            return None
        if topup.status != "pending":
            self.notify(f"Top-up request #{topup.id} was already {topup.status} by {topup.decided_by}.", severity="warning")
            return None
        return topup

    @work(thread=True, exclusive=True, group="write")
    def approve_next(self) -> None:
        """The oldest pending request, highlighted and offered for approval (command palette)."""
        try:
            pending = self.call_engine(self.engine.topups.pending, 1)
        except Failed:
            return
        if not pending:
            self.app.notify("No pending top-up requests.")
            return
        self.deliver(self._offer, pending[0])

    def _offer(self, topup: TopUpRequest) -> None:
        table = self.query_one("#topups", TopUpsTable)
        self.topups[str(topup.id)] = topup
        if str(topup.id) in table.keys:
            table.move_cursor(row=table.get_row_index(str(topup.id)))
        self._confirm_approve(topup, topup.amount)

    # --- actions ---------------------------------------------------------------------

    def action_approve(self) -> None:
        topup = self.selected()
        if topup is not None:
            self._confirm_approve(topup, topup.amount)

    def action_approve_other(self) -> None:
        topup = self.selected()
        if topup is None:
            return

        def chosen(choice: AmountChoice | None) -> None:
            if choice is not None:
                self._confirm_approve(topup, choice.amount)

        self.app.push_screen(
            AmountDialog(f"Approve top-up #{topup.id} from {topup.user.display_name} with how many credits?",
                         amount=topup.amount),
            chosen,
        )

    def action_reject(self) -> None:
        topup = self.selected()
        if topup is None:
            return
        self.app.push_screen(
            ReasonDialog(f"Reject top-up #{topup.id} from {topup.user.display_name} "
                         f"({topup.amount:,} credits requested)?", yes="Reject",
                         share="Tell the user the reason"),
            lambda choice: self.decide(topup.id, None, reject=choice) if choice else None,
        )

    def action_open_user(self) -> None:
        key = self.query_one("#topups", TopUpsTable).highlighted_key
        if key in self.topups:
            self.post_message(OpenUser(self.topups[key].user_id))

    def _confirm_approve(self, topup: TopUpRequest, amount: int) -> None:
        other = "" if amount == topup.amount else f" (requested {topup.amount:,})"
        self.app.push_screen(
            ConfirmDialog(f"Approve top-up #{topup.id}: grant {amount:,} credits{other} "
                          f"to {topup.user.display_name}?", yes="Approve"),
            lambda yes: self.decide(topup.id, amount) if yes else None,
        )

    @work(thread=True, exclusive=True, group="write")
    def decide(self, topup_id: int, amount: int | None, *, reject: ReasonChoice | None = None) -> None:
        try:
            if reject:
                self.call_engine(self.engine.topups.reject, topup_id, actor=self.app.actor, reason=reject.reason,
                                 share_reason=reject.share)
            else:
                self.call_engine(self.engine.topups.approve, topup_id, actor=self.app.actor, amount=amount)
        except Failed:
            return
        if reject:
            self.app.notify(f"Top-up #{topup_id} rejected.")
        else:
            self.app.notify(f"Top-up #{topup_id} approved: {amount:,} credits granted.")
        self.deliver(self.reload)

    @on(RecordTable.Chosen, "#topups")
    def _open(self, event: RecordTable.Chosen) -> None:
        if event.key in self.topups:
            self.post_message(OpenUser(self.topups[event.key].user_id))
