"""Modal dialogs: a yes/no confirmation before any credit change, and an amount dialog
(grant with a reason, or approve a top-up with another amount)."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="question", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.yes, variant="primary", id="yes")
                yield Button("No", id="no")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


@dataclass(frozen=True)
class AmountChoice:
    amount: int
    reason: str | None = None


class AmountDialog(ModalScreen[AmountChoice | None]):
    """Asks for a positive whole number of credits (and a reason for grants)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, amount: int | None = None, ask_reason: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.initial = amount
        self.ask_reason = ask_reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="question", markup=False)
            yield Input(
                "" if self.initial is None else str(self.initial),
                placeholder="credits (a positive whole number)", type="integer", id="amount",
            )
            if self.ask_reason:
                yield Input(placeholder="reason (shown in the ledger)", id="reason")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#amount", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        text = self.query_one("#amount", Input).value.strip()
        try:
            amount = int(text)
        except ValueError:
            amount = 0
        if amount <= 0:
            self.notify(f"Amount must be a positive whole number, not {text!r}.", severity="error", markup=False)
            self.query_one("#amount", Input).focus()
            return
        reason = self.query_one("#reason", Input).value.strip() if self.ask_reason else ""
        self.dismiss(AmountChoice(amount, reason or None))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
