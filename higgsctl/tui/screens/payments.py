"""Stars payments: revenue (today / 7 / 30 days, refunds) and every payment, newest first;
refund one (a reason, a confirmation naming the Stars and credits, then refundStarPayment with
the bot token). The engine takes the credits back before Telegram returns the Stars and refuses
when they were spent (see engine/payments.py)."""

from __future__ import annotations

import asyncio

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Header, Input, Label

from higgsctl.engine import HiggsctlError, Payment

from ..format import literal
from ..messages import OpenUser
from ..widgets.payments_table import PaymentsTable
from .base import EngineScreen
from .dialogs import ConfirmDialog

ACTOR = "tui"
PERIODS = (1, 7, 30)


class ReasonDialog(ModalScreen[str | None]):
    """Asks why (kept with the refund); Escape or Cancel: None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text, multiline=True), classes="question")
            yield Input(placeholder="reason (kept with the refund)", id="reason")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if reason:
            self.dismiss(reason)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PaymentsScreen(EngineScreen):
    TITLE = "Stars payments"
    AUTO_FOCUS = "#payments"
    BINDINGS = [
        Binding("f", "refund", "Refund"),
        Binding("u", "open_user", "User"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.payments: dict[str, Payment] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="revenue", classes="section")
        yield PaymentsTable(id="payments")
        yield Footer()

    def fetch(self) -> tuple[list, list[Payment]]:
        return [self.engine.payments.revenue(days) for days in PERIODS], self.engine.payments.list(limit=200)

    def show(self, data: tuple[list, list[Payment]]) -> None:
        revenue, payments = data
        self.payments = {str(p.id): p for p in payments}
        names = {1: "today", 7: "7 days", 30: "30 days"}
        self.query_one("#revenue", Label).update(literal("Stars paid (refunded): " + " · ".join(
            f"{names[r.days]} {r.stars:,} ⭐ ({r.refunded:,})" for r in revenue)))
        self.query_one("#payments", PaymentsTable).show_payments(payments)

    def selected(self) -> Payment | None:
        key = self.query_one("#payments", PaymentsTable).highlighted_key
        payment = self.payments.get(key) if key else None
        if payment is None:
            self.notify("No payment selected.", severity="warning")
        elif payment.status != "credited":
            self.notify(f"Payment #{payment.id} is {payment.status}.", severity="warning")
            return None
        return payment

    def action_refund(self) -> None:
        payment = self.selected()
        if payment is None:
            return
        question = (f"Refund payment #{payment.id}: return {payment.stars:,} Stars to {payment.user.display_name} "
                    f"and take back {payment.credits:,} credits?")

        def reasoned(reason: str | None) -> None:
            if reason:
                self.app.push_screen(ConfirmDialog(question, yes="Refund"),
                                     lambda yes: self.refund(payment.charge_id, reason) if yes else None)

        self.app.push_screen(ReasonDialog(f"Why refund payment #{payment.id}?"), reasoned)

    def action_open_user(self) -> None:
        key = self.query_one("#payments", PaymentsTable).highlighted_key
        if key in self.payments:
            self.post_message(OpenUser(self.payments[key].user_id))

    @work(thread=True, exclusive=True, group="write")
    def refund(self, charge_id: str, reason: str) -> None:
        try:
            payment = asyncio.run(self._refund(charge_id, reason))
        except HiggsctlError as exc:
            self.app.notify(self.engine.redactor(exc.message), severity="error")
            return
        self.app.notify(f"Refunded payment #{payment.id}: {payment.stars:,} Stars returned, "
                        f"{payment.taken_back:,} credits taken back.")
        self.deliver(self.reload)

    async def _refund(self, charge_id: str, reason: str) -> Payment:
        from telegram import Bot
        from telegram.error import BadRequest, Forbidden, TelegramError

        from higgsctl.engine import ConfigError
        from higgsctl.engine.audit import operator_actor
        from higgsctl.engine.payments import ask_telegram

        tg = self.engine.settings.telegram
        if not tg.token:
            raise ConfigError("No bot token: refunds call the Bot API ([telegram] token).")
        root = tg.api_base_url.rstrip("/")
        async with Bot(tg.token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot") as bot:
            def send(user_id: int, charge: str):  # BadRequest is a NetworkError too: answered first
                return ask_telegram(bot.refund_star_payment(user_id, charge), answered=(BadRequest, Forbidden),
                                    unanswered=(TelegramError,))

            return await self.engine.payments.refund(charge_id, actor=operator_actor(ACTOR), reason=reason, send=send)

    @on(PaymentsTable.Chosen, "#payments")
    def _open(self, event: PaymentsTable.Chosen) -> None:
        if event.key in self.payments:
            self.post_message(OpenUser(self.payments[event.key].user_id))
