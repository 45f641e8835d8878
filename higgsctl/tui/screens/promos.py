"""Promo codes: every code, newest first (credits, uses, expiry, state, who made it); create
one (code, credits, uses, an optional last day) or disable the selected one after a
confirmation. Users redeem a code with /promo CODE or t.me/<bot>?start=promo-CODE; the engine
checks the code's spelling, the amounts and duplicates, and its refusal is shown as an error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Header, Input, Label

from higgsctl.engine import InvalidInput, PromoCode
from higgsctl.engine.promos import parse_expiry
from higgsctl.engine.models import utcnow

from ..format import literal
from ..widgets.promos_table import PromosTable, promo_state
from .base import EngineScreen, Failed
from .reason_dialog import ReasonChoice, ReasonDialog


@dataclass(frozen=True)
class PromoChoice:
    code: str
    credits: int
    uses: int
    expires_at: datetime | None = None


def parse_count(text: str, what: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{what} must be a whole number written with the digits 0-9.")
    return int(text)


class PromoDialog(ModalScreen[PromoChoice | None]):
    """Asks for a new code's fields. Their form is checked here; what the engine refuses
    (a malformed or duplicate code, amounts out of range, a past date) comes back as an error."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New promo code (users send /promo CODE); the last day is optional.", classes="question")
            with Horizontal(classes="fields"):
                yield Input(placeholder="code: SPRING25", max_length=64, id="code")
                yield Input(placeholder="credits each", id="credits")
            with Horizontal(classes="fields"):
                yield Input(placeholder="uses in all", id="uses")
                yield Input(placeholder="last day (UTC) YYYY-MM-DD", id="expires")
            yield Label("", id="promo-problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Create", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    @property
    def problem(self) -> str:
        return str(self.query_one("#promo-problem", Label).content)

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        code = self._value("code").strip()
        expires = self._value("expires").strip()
        try:
            if not code:
                raise ValueError("Type the code.")
            credits = parse_count(self._value("credits"), "Credits")
            uses = parse_count(self._value("uses"), "Uses")
            try:
                expires_at = parse_expiry(expires) if expires else None
            except InvalidInput:
                raise ValueError(f"The last day {expires!r} is not a date like 2026-12-31.") from None
        except ValueError as exc:
            self.query_one("#promo-problem", Label).update(literal(str(exc)))
            self.app.bell()
            return
        self.dismiss(PromoChoice(code, credits, uses, expires_at))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PromosScreen(EngineScreen):
    TITLE = "Promo codes"
    AUTO_FOCUS = "#promos"
    BINDINGS = [
        Binding("n", "new", "New code"),
        Binding("d", "disable", "Disable"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.promos: dict[str, PromoCode] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("Users redeem a code with /promo CODE or t.me/<bot>?start=promo-CODE.", classes="section")
        yield PromosTable(id="promos")
        yield Footer()

    def fetch(self) -> tuple[list[PromoCode], datetime]:
        return self.engine.promos.list(), utcnow()

    def show(self, data: tuple[list[PromoCode], datetime]) -> None:
        promos, now = data
        self.promos = {p.code: p for p in promos}
        self.query_one("#promos", PromosTable).show_promos(promos, now)

    def selected(self) -> PromoCode | None:
        key = self.query_one("#promos", PromosTable).highlighted_key
        promo = self.promos.get(key) if key else None
        if promo is None:
            self.notify("No promo code selected.", severity="warning")
        elif promo.disabled:
            self.notify(f"{promo.code} is disabled already.", severity="warning")
            return None
        return promo

    def action_new(self) -> None:
        self.app.push_screen(PromoDialog(), lambda choice: self.create(choice) if choice else None)

    def action_disable(self) -> None:
        promo = self.selected()
        if promo is None:
            return
        state = promo_state(promo, utcnow())
        self.app.push_screen(
            ReasonDialog(f"Disable {promo.code} ({promo.credits:,} credits, used {promo.used:,} of "
                         f"{promo.max_uses:,}, {state})? Nobody can redeem it after.", yes="Disable"),
            lambda choice: self.disable(promo.code, choice) if choice else None,
        )

    @work(thread=True, exclusive=True, group="write")
    def create(self, choice: PromoChoice) -> None:
        try:
            promo = self.call_engine(self.engine.promos.create, choice.code, choice.credits, choice.uses,
                                     actor=self.app.actor, expires_at=choice.expires_at)
        except Failed:
            return
        until = f", until {promo.expires_at:%Y-%m-%d %H:%M} UTC" if promo.expires_at else ""
        self.app.notify(f"Created {promo.code}: {promo.credits:,} credits × {promo.max_uses:,} uses{until}.")
        self.deliver(self.reload)

    @work(thread=True, exclusive=True, group="write")
    def disable(self, code: str, choice: ReasonChoice) -> None:
        try:
            done = self.call_engine(self.engine.promos.disable, code, actor=self.app.actor, reason=choice.reason)
        except Failed:
            return
        if done:
            self.app.notify(f"{code} disabled.")
        else:
            self.app.notify(f"{code} was disabled already.", severity="warning")
        self.deliver(self.reload)
