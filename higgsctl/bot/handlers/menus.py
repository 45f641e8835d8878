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
    """The wizard's model menu. A draft that starts from a picture ("Use as reference") offers
    the models that take it, and names the ones left out."""
    specs = list(who.services.settings.models.values())
    if not draft.references:
        return t(who.lang, "choose_model"), keyboards.models(who.lang, specs, draft.id)
    takers = [spec for spec in specs if spec.max_references] or specs  # (none takes any: the card says so)
    text = t(who.lang, "choose_model_with_ref")
    if hidden := [spec.label for spec in specs if spec not in takers]:
        text += "\n" + t(who.lang, "refs_models_hidden", labels=", ".join(hidden))
    return text, keyboards.models(who.lang, takers, draft.id, photos=len(draft.references))


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
