"""The buttons under a result: Regenerate (same parameters, a new hold; also the Try again of
a failure), Other aspect, Use as reference, Change prompt. Each carries the generation id and
acts on exactly that generation, however old the message, after a restart too.

The ones that spend show the price first: they open a confirm card (cards.py) for a draft
with that generation's settings, unless the user turned that off (User.confirm_repeats)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from higgsctl.engine import Generation, GenerationRequest

from .. import callbacks as cb
from .. import keyboards
from ..launch import pressed_before, start_generation
from ..texts import LANGUAGES, t
from . import cards
from .guards import guarded, spends
from .ids import owned_generation
from .menus import model_menu
from .replies import expired, reply
from .who import Context, Who

PRICED = ("b_regen_price", "b_try_again")  # the repeat buttons that name their price


def _starting(who: Who, generation: Generation, aspect: str) -> str:
    """The status message's first text: the new generation has no number yet."""
    models = who.services.settings.models
    label = models[generation.model].label if generation.model in models else generation.model
    return t(who.lang, "st_starting", label=label, aspect=aspect, id=generation.id)


def _again(generation: Generation, who: Who, aspect: str, chat_id: int, message_id: int) -> GenerationRequest:
    store = who.services.engine.store
    spec = who.services.settings.models.get(generation.model)
    offered = spec.options if spec is not None else {}  # a value the catalog dropped since: its default
    options = tuple((k, v) for k, v in (generation.options or {}).items() if v in offered.get(k, ()))
    return GenerationRequest(
        user_id=who.id, model=generation.model, prompt=generation.prompt, aspect_ratio=aspect,
        references=tuple(store.locate(p) for p in generation.references), source="bot",
        chat_id=chat_id, status_message_id=message_id, options=options,
    )


def _settings_of(who: Who, generation: Generation, aspect: str) -> dict:
    """A draft's fields for a repeat of ``generation`` (its prompt is the one sent: any style
    is in it already)."""
    store = who.services.engine.store
    return dict(model=generation.model, prompt=generation.prompt, aspect=aspect, options=generation.options or {},
                refs=[store.locate(p) for p in generation.references])


async def _ask_first(update: Update, who: Who, generation: Generation, aspect: str, *, edit: bool,
                     named: Callable[[int], bool]) -> bool:
    """A card for repeating ``generation`` in ``aspect`` when the user wants to be asked, or
    when the press did not name today's price (``named(price)``): True when the card, or why
    not, was shown; False: spend right away."""
    spec = who.services.settings.models.get(generation.model)
    if spec is None:
        return False  # (a model gone from the catalog: the engine's refusal says so, nothing is held)
    if not who.confirm_repeats and named(spec.price):
        return False
    fields = _settings_of(who, generation, aspect)
    bot, chat_id = update.get_bot(), update.effective_chat.id
    if await cards.affordable(who, bot, chat_id, spec.price):
        draft = await who.services.drafts.start(who.id, step="confirm", **fields)
        await cards.show(who, draft, update=update if edit else None, bot=bot, chat_id=chat_id)
    return True


@spends
async def regenerate(update: Update, context: Context, who: Who) -> None:
    if await pressed_before(update, who):
        return
    generation = await owned_generation(update, who)
    if generation is None or await _ask_first(update, who, generation, generation.aspect_ratio, edit=False,
                                              named=lambda price: _button_price(update.callback_query) in (None, price)):
        return
    status = await update.get_bot().send_message(update.effective_chat.id,
                                                 _starting(who, generation, generation.aspect_ratio))
    await start_generation(update, who, _again(generation, who, generation.aspect_ratio, status.chat_id, status.message_id))


@guarded
async def other_aspect(update: Update, context: Context, who: Who) -> None:
    generation = await owned_generation(update, who)
    if generation is None:
        return
    spec = who.services.settings.models.get(generation.model)
    if spec is None:
        await expired(update, who)
        return
    text = t(who.lang, "other_aspect", id=generation.id)
    if not who.confirm_repeats:  # a ratio spends at once: say what
        text += "\n" + t(who.lang, "other_aspect_spends", price=spec.price)
    await update.get_bot().send_message(
        update.effective_chat.id, text,
        reply_markup=keyboards.other_aspects(generation.id, spec.aspect_ratios, generation.aspect_ratio))


@spends
async def run_in_aspect(update: Update, context: Context, who: Who) -> None:
    """The menu's message becomes the status message; a second ratio pressed on it before
    its buttons went away (a quick tap on two of them) runs too, with a status message of
    its own: two jobs never share one."""
    aspect, message = cb.RUN_IN_ASPECT.parts(update.callback_query.data)[1], update.callback_query.message
    claimed = context.user_data.setdefault("aspect_menus_used", set())
    if len(claimed) > 100:  # long gone menus: their buttons were replaced by the status
        claimed.clear()
    first = message.message_id not in claimed  # checked and claimed before any await
    claimed.add(message.message_id)
    if await pressed_before(update, who):
        return
    generation = await owned_generation(update, who)
    if generation is None or await _ask_first(update, who, generation, aspect, edit=first,
                                              named=lambda price: _menu_names(message, price)):
        return
    if first:
        await reply(update, _starting(who, generation, aspect))
        chat_id, status_id = message.chat.id, message.message_id
    else:
        status = await update.get_bot().send_message(message.chat.id, _starting(who, generation, aspect))
        chat_id, status_id = status.chat_id, status.message_id
    await start_generation(update, who, _again(generation, who, aspect, chat_id, status_id))


@functools.cache
def _priced_labels() -> list[re.Pattern]:
    return [re.compile(re.escape(t(lang, key, price="PRICE")).replace("PRICE", r"(\d+)") + r"\Z")
            for lang in LANGUAGES for key in PRICED]


def _button_price(query) -> int | None:
    """The price the pressed Regenerate / Try again button named (None: it named none)."""
    markup = query.message.reply_markup if query.message is not None else None
    for label in (b.text for row in (markup.inline_keyboard if markup else ()) for b in row if b.callback_data == query.data):
        for pattern in _priced_labels():
            if found := pattern.match(label):
                return int(found[1])
    return None


def _menu_names(menu, price: int) -> bool:
    """Whether the aspect menu said a ratio spends ``price`` (it says so when it spends at once)."""
    return menu is not None and any(t(lang, "other_aspect_spends", price=price) in (menu.text or "") for lang in LANGUAGES)


@guarded
async def use_as_reference(update: Update, context: Context, who: Who) -> None:
    generation = await owned_generation(update, who)
    if generation is None:
        return
    store = who.services.engine.store
    paths = [store.inside(Path(p)) for p in generation.result_files]
    if not paths or not paths[0].is_file():
        await update.get_bot().send_message(update.effective_chat.id, t(who.lang, "file_gone", id=generation.id))
        return
    draft = await who.services.drafts.start(who.id, refs=paths[:1])
    text, markup = model_menu(who, draft)
    await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)


@guarded
async def change_prompt(update: Update, context: Context, who: Who) -> None:
    """A draft with the generation's settings (and style) that waits for a new prompt."""
    generation = await owned_generation(update, who)
    spec = who.services.settings.models.get(generation.model) if generation is not None else None
    if spec is None:
        if generation is not None:
            await expired(update, who)
        return
    bot, chat_id = update.get_bot(), update.effective_chat.id
    if not await cards.affordable(who, bot, chat_id, spec.price):
        return
    fields = {**_settings_of(who, generation, generation.aspect_ratio), "prompt": None}
    await who.services.drafts.start(who.id, step="prompt", style=generation.style, **fields)
    await bot.send_message(chat_id, t(who.lang, "new_prompt_ask", label=spec.label, aspect=generation.aspect_ratio,
                                      id=generation.id))


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CallbackQueryHandler(regenerate, pattern=cb.REGENERATE.pattern), group)
    app.add_handler(CallbackQueryHandler(other_aspect, pattern=cb.OTHER_ASPECT.pattern), group)
    app.add_handler(CallbackQueryHandler(run_in_aspect, pattern=cb.RUN_IN_ASPECT.pattern), group)
    app.add_handler(CallbackQueryHandler(use_as_reference, pattern=cb.USE_AS_REFERENCE.pattern), group)
    app.add_handler(CallbackQueryHandler(change_prompt, pattern=cb.REPROMPT.pattern), group)
