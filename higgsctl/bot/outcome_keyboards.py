"""The buttons under an outcome that was not an image: Try again (``rg:<gen>``, a new hold of
the generation's price, named on the button; the conversation's handler asks before it
spends) and Change prompt (``np:<gen>``: its settings, a new prompt)."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from . import callbacks as cb
from .texts import t


def outcome(lang: str, generation_id: int, price: int) -> Markup:
    return Markup([[Button(t(lang, "b_try_again", price=price), callback_data=cb.REGENERATE.data(generation_id)),
                    Button(t(lang, "b_change_prompt"), callback_data=cb.REPROMPT.data(generation_id))]])
