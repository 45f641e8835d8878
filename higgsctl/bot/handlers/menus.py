"""What several features show: the model menu that opens a wizard, and the hint for input
the current wizard step (or, outside a wizard, the bot) does not expect."""

from __future__ import annotations

from telegram import Update

from .. import keyboards
from ..drafts import Draft
from ..texts import t
from .who import Context, Who, current_draft

HINTS = {"model": "hint_model", "prompt": "prompt_empty", "refs": "hint_refs", "aspect": "hint_aspect",
         "confirm": "hint_confirm"}


def model_menu(who: Who, draft: Draft) -> tuple[str, keyboards.Markup]:
    specs = list(who.services.settings.models.values())
    key = "choose_model_with_ref" if draft.references else "choose_model"
    return t(who.lang, key), keyboards.models(who.lang, specs, draft.id)


async def hint_for(who: Who) -> tuple[str, keyboards.Markup | None]:
    """A hint for the current wizard step, or the menu."""
    state = await current_draft(who)
    if state is not None:
        return t(who.lang, HINTS[state.step]), None
    return t(who.lang, "unknown_input"), keyboards.main_menu(who.lang)


async def hint(update: Update, context: Context, who: Who) -> None:
    """Anything no other handler took: a hint for the current wizard step, or the menu."""
    text, markup = await hint_for(who)
    await update.effective_message.reply_text(text, reply_markup=markup)
