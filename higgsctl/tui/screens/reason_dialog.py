"""A confirmation that also asks why: reject a top-up, block a user, refund, cancel or
re-send a generation. The reason is optional and goes to the audit trail; ``share`` adds a
checkbox (tell the user the reason).

Like the yes/no confirmation it opens with Cancel focused (Enter-Enter does nothing);
Shift+Tab reaches the reason; Enter there moves to the action's button, and one more Enter
(or y outside the field) confirms: a reason typed and entered never acts by itself."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from ..format import literal

MAX_REASON = 500


@dataclass(frozen=True)
class ReasonChoice:
    reason: str | None
    share: bool = False


class ReasonDialog(ModalScreen[ReasonChoice | None]):
    BINDINGS = [Binding("y", "confirm", "Yes"), Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, *, yes: str, share: str | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes = yes
        self.share = share

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.question, multiline=True), classes="question")
            yield Input(placeholder="reason (optional; recorded in the audit trail)", max_length=MAX_REASON,
                        id="reason")
            if self.share:
                yield Checkbox(literal(self.share), value=True, id="share")
            with Horizontal(classes="buttons"):
                yield Button(literal(self.yes), variant="primary", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Input.Submitted, "#reason")
    def _entered(self) -> None:
        self.query_one("#yes", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        reason = " ".join(self.query_one("#reason", Input).value.split()) or None
        share = bool(self.share) and self.query_one("#share", Checkbox).value
        self.dismiss(ReasonChoice(reason, share))

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(None)
