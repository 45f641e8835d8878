"""The credits field of the dialogs that move credits. It keeps exactly what was typed or
pasted and says why it is not a valid amount; it never drops or reinterprets characters
(Textual's ``type="integer"`` silently dropped the "." of "5.5", making 55)."""

from __future__ import annotations

import re

from textual import events
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input

from higgsctl.engine.amounts import AmountError, parse_amount

FIELD_BREAK = re.compile(r"[\t\r\n\v\f\u2028\u2029]")


class CreditsValidator(Validator):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_amount(value, self.limit)
        except AmountError as exc:
            return self.failure(exc.message)
        return self.success()


class AmountInput(Input):
    """A credits field. A paste that holds a Tab or a line break is not merged into the
    amount: the screen gets ``SplitPaste`` to share it out (or refuse it). Tab moves on at
    once, so keys typed right after it (a paste in a terminal without bracketed paste
    arrives as keys) reach the next field, not this one."""

    class SplitPaste(Message):
        """A paste with a Tab or an inner line break (a trailing line break is dropped)."""

        def __init__(self, amount_input: "AmountInput", text: str) -> None:
            super().__init__()
            self.amount_input = amount_input
            self.text = text

        @property
        def control(self) -> "AmountInput":
            return self.amount_input

    def __init__(self, value: str = "", *, limit: int, id: str | None = None) -> None:
        super().__init__(
            value, placeholder="credits (a positive whole number)", id=id,
            validators=[CreditsValidator(limit)], validate_on={"changed", "submitted"},
        )

    def _on_paste(self, event: events.Paste) -> None:
        text = event.text.rstrip("\r\n")
        if FIELD_BREAK.search(text):
            event.stop()
            event.prevent_default()
            self.post_message(self.SplitPaste(self, text))
        elif event.text.endswith(("\r", "\n")):  # a copied cell or line: the amount without its line break
            event.stop()
            event.prevent_default()
            self.insert_text_at_cursor(event.text.rstrip("\r\n"))

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not self:
            # Queued before a Tab moved the focus on: the key belongs to the field now focused.
            event.stop()
            event.prevent_default()
            if isinstance(focused, Input):
                focused.post_message(events.Key(event.key, event.character))
            return
        if event.key == "tab":  # not via the app's binding, which runs after queued keys
            event.stop()
            event.prevent_default()
            self.screen.focus_next()
        elif event.key == "enter":  # submit what is there now, not what arrives meanwhile
            event.stop()
            event.prevent_default()
            await self.action_submit()
