"""One generation: prompt, references, timings, error, charge and absolute result paths; an
admin cancels a queued one, refunds a completed one or has the bot re-send it (each after a
dialog that asks for a reason; the engine arbitrates races with the CLI and the bot)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header

from higgsctl.engine import AdminAct, AuditFilter, HiggsctlError

from ..messages import OpenUser
from ..widgets.generation_card import GenerationCard, GenerationDetails
from .base import EngineScreen, Failed, describe
from .reason_dialog import ReasonChoice, ReasonDialog

QUESTIONS = {
    "cancel": ("Cancel generation #{id} of {user} and release its {cost} credits?", "Cancel job"),
    "refund": ("Refund {cost} credits of generation #{id} to {user}?", "Refund"),
    "resend": ("Have the bot send generation #{id} to {user} again?", "Re-send"),
}


class GenerationDetailScreen(EngineScreen):
    TITLE = "Generation"
    AUTO_FOCUS = "#detail-scroll"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("u", "open_user", "User"),
        Binding("c", "act('cancel')", "Cancel job"),
        Binding("r", "act('refund')", "Refund"),
        Binding("s", "act('resend')", "Re-send"),
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
            actions=self.engine.audit.list(AuditFilter(target=f"generation:{generation.id}", limit=20)),
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

    # --- actions -----------------------------------------------------------------------

    def action_act(self, action: str) -> None:
        if self.details is None:
            return
        g = self.details.generation
        question, yes = QUESTIONS[action]
        text = question.format(id=g.id, user=self.details.user.display_name, cost=g.cost)
        self.app.push_screen(ReasonDialog(text, yes=yes),
                             lambda choice: self._chosen(action, g.id, choice) if choice else None)

    def _chosen(self, action: str, generation_id: int, choice: ReasonChoice) -> None:
        by = AdminAct(self.app.actor, choice.reason)
        if action == "cancel":
            self.cancel(generation_id, by)
        else:
            self.settle(action, generation_id, by)

    @work(exclusive=True, group="write")
    async def cancel(self, generation_id: int, by: AdminAct) -> None:
        """On the app's loop: a queued job is cancelled upstream (the engine's HTTP client),
        its rows through the engine's database door."""
        try:
            canceled = await self.engine.generations.cancel(generation_id, by)
        except HiggsctlError as exc:
            self.app.notify(self.engine.redactor(describe(exc)), severity="error")
            return
        if canceled:
            self.app.notify(f"Generation #{generation_id} canceled; its credits are released.")
        else:
            self.app.notify(f"Generation #{generation_id} can't be canceled: it is already generating or over.",
                            severity="warning")
        self.reload()

    @work(thread=True, exclusive=True, group="write")
    def settle(self, action: str, generation_id: int, by: AdminAct) -> None:
        try:
            if action == "refund":
                balance = self.call_engine(self.engine.generations.refund, generation_id, by)
                self.app.notify(f"Refunded generation #{generation_id}; the user's balance is {balance:,}.")
            else:
                self.call_engine(self.engine.generations.request_resend, generation_id, by)
                self.app.notify(f"Generation #{generation_id} will be sent again by the running bot.")
        except Failed:
            return
        self.deliver(self.reload)
