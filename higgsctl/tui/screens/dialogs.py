"""Modal dialogs: a yes/no confirmation before any credit change, and an amount dialog
(grant with a reason, or approve a top-up with another amount).

Both open with Cancel focused, so Enter-Enter after a grant moves nothing; the amount is
checked while it is typed (reason shown inline, OK disabled) and again on submit, before
any confirmation is asked."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

from higgsctl.engine.amounts import AmountError, parse_amount
from higgsctl.engine.credits import MAX_GRANT

from ..format import literal
from ..widgets.amount_input import FIELD_BREAK, AmountInput


class ConfirmDialog(ModalScreen[bool]):
    """Dismisses with True only on an explicit yes (its button or the y key)."""

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
            yield Label(literal(self.question, multiline=True), classes="question")
            with Horizontal(classes="buttons"):
                yield Button(literal(self.yes), variant="primary", id="yes")
                yield Button("Cancel", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

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
    """Asks for a positive whole number of credits, at most ``limit`` (the engine's
    per-grant maximum), and a reason for grants."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, *, amount: int | None = None, ask_reason: bool = False,
                 limit: int = MAX_GRANT) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.initial = amount
        self.ask_reason = ask_reason
        self.limit = limit

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text, multiline=True), classes="question")
            yield AmountInput("" if self.initial is None else str(self.initial), limit=self.limit, id="amount")
            yield Label("", id="amount-problem", classes="problem")
            if self.ask_reason:
                yield Input(placeholder="reason (shown in the ledger)", id="reason")
            with Horizontal(classes="buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#amount", AmountInput).focus()
        self._check(self.query_one("#amount", AmountInput).value, quiet_when_empty=True)

    # --- checking ------------------------------------------------------------------------

    @property
    def problem(self) -> str:
        """The reason the amount is refused, as shown under it ("" when it is valid)."""
        return str(self.query_one("#amount-problem", Label).content)

    def _check(self, text: str, *, quiet_when_empty: bool = False) -> int | None:
        try:
            amount = parse_amount(text, self.limit)
        except AmountError as exc:
            self._show_problem("" if quiet_when_empty and not text else str(exc))
            self.query_one("#ok", Button).disabled = True
            return None
        self._show_problem("")
        self.query_one("#ok", Button).disabled = False
        return amount

    def _show_problem(self, reason: str) -> None:
        self.query_one("#amount-problem", Label).update(literal(reason))

    @on(Input.Changed, "#amount")
    def _typed(self, event: Input.Changed) -> None:
        self._check(event.value)

    @on(AmountInput.SplitPaste)
    def _split_paste(self, event: AmountInput.SplitPaste) -> None:
        """One row of amount<Tab>reason (from a spreadsheet) fills both fields; anything else
        (more cells, more lines, no reason field) is refused rather than guessed at."""
        cells = event.text.split("\t")
        while len(cells) > 1 and not cells[-1].strip():
            cells.pop()
        one_row = not any(FIELD_BREAK.search(cell) for cell in cells)
        if one_row and cells[0].strip() and (len(cells) == 1 or (len(cells) == 2 and self.ask_reason)):
            event.amount_input.insert_text_at_cursor(cells[0])
            if len(cells) == 2:
                reason = self.query_one("#reason", Input)
                reason.value = cells[1].strip()
                reason.focus()
            return
        self.app.bell()
        self._show_problem("That paste has a Tab or line break: paste the amount alone.")

    # --- answering -----------------------------------------------------------------------

    @on(Input.Submitted)
    def _entered(self, event: Input.Submitted) -> None:
        # The amount as it was when Enter was pressed in it, not as it is by now.
        self._submit(event.value if event.input.id == "amount" else None)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self._submit(None)

    def _submit(self, text: str | None) -> None:
        amount_input = self.query_one("#amount", AmountInput)
        amount = self._check(amount_input.value if text is None else text)
        if amount is None:
            self.app.bell()
            amount_input.focus()
            return
        reason = self.query_one("#reason", Input).value.strip() if self.ask_reason else ""
        self.dismiss(AmountChoice(amount, reason or None))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
