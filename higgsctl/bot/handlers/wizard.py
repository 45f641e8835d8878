"""The generation wizard: model → prompt → reference photos (photos.py) or Skip → aspect
ratio → the confirm card (cards.py) → the engine runs it (launch.py). And typed text: a
wizard waiting for its prompt takes it; a reply to a result makes a card editing that
result; any other text is a prompt, and gets a card of its own.

Each wizard is a draft (drafts.py) whose id all its buttons carry: a button acts on its own
draft only, so an older message can never act on a newer wizard, and Generate runs what its
card shows, once (a conditional UPDATE in the database decides, across processes too)."""

from __future__ import annotations

import functools

from telegram import Message, Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, MessageHandler, filters

from higgsctl.engine import Draft, GenerationRequest

from .. import callbacks as cb
from .. import keyboards
from ..launch import start_generation
from ..services import db_read
from ..texts import t
from . import cards, pastes
from .guards import guarded
from .menus import model_menu
from .replies import expired, reply
from .who import Context, Who, current_draft, named_draft


def wizard_button(fn):
    """A wizard button: a quick second tap of it is ignored (it would find its draft moved on)."""
    return guarded(fn, once=True)


@guarded
async def begin(update: Update, context: Context, who: Who) -> None:
    if not await cards.affordable(who, update.get_bot(), update.effective_chat.id, cards.cheapest(who)):
        return
    draft = await who.services.drafts.start(who.id)
    await reply(update, *model_menu(who, draft))


@wizard_button
async def model_chosen(update: Update, context: Context, who: Who) -> None:
    key, draft = await named_draft(update, who, "model", "prompt", "confirm")
    spec = who.services.settings.models.get(key)
    if draft is None or spec is None:
        await expired(update, who)
        return
    # The draft keeps its reference photos whatever the model: its card says which are sent.
    if draft.step == "confirm":  # the card's model menu: back to the card with this model
        aspect = draft.aspect if draft.aspect in spec.aspect_ratios else cards.fitting_aspect(spec)
        draft = await who.services.drafts.change(who.id, draft, "confirm", model=key, aspect=aspect)
        if draft is not None:
            await cards.show(who, draft, update=update)
        return
    draft = await who.services.drafts.change(who.id, draft, ("model", "prompt"), model=key, step="prompt")
    if draft is not None:
        await reply(update, t(who.lang, "send_prompt", label=spec.label), keyboards.cancel_only(who.lang, draft.id))


@guarded
async def text_received(update: Update, context: Context, who: Who) -> None:
    await pastes.collect(update, context, who, functools.partial(_take_text, who))


async def paste_continued(update: Update, context: Context) -> None:
    """Every text passes here first, before any command handler: a part of a split paste is
    text, whatever it starts with ("/or ...", "/start ..."), so it joins its paste and no
    other handler sees it. Anything else goes on to the handlers that take it."""
    if not pastes.continues(context, update.effective_message):  # before any await: in arrival order
        return
    await _continuation(update, context)
    raise ApplicationHandlerStop


@guarded
async def _continuation(update: Update, context: Context, who: Who) -> None:
    await pastes.collect(update, context, who, functools.partial(_take_text, who), continuation=True)


async def _take_text(who: Who, message: Message, text: str) -> None:
    """A typed text (a whole paste): the prompt a wizard waits for, an edit of the result it
    replies to, or a prompt with a card of its own."""
    prompt, problem = cards.clean_prompt(who, text)
    if problem:
        await message.reply_text(problem)
        return
    result = await cards.replied_result(who, message)
    draft = await current_draft(who)
    if result is not None:  # "edit this": an explicit reply comes first
        await cards.edit_result(who, message.get_bot(), message, result, prompt)
    elif cards.unnamed_album_photo(message):  # an edit of an image we can't name: no card without it
        await message.reply_text(t(who.lang, "reply_album_photo"))
    elif draft is not None and draft.step == "prompt":
        await prompt_received(message, who, draft, prompt)
    else:
        await cards.open_card(who, message.get_bot(), message.chat_id, prompt)


async def prompt_received(message: Message, who: Who, draft: Draft, prompt: str) -> None:
    """The prompt of a draft waiting for one: on to its references, its aspect, or (when
    those are known already: /imagine, Change prompt) its card."""
    spec = who.services.settings.models.get(draft.model)
    if draft.aspect is not None or spec is None:  # (a model gone from the catalog: the card picks another)
        draft = await who.services.drafts.change(who.id, draft, "prompt", prompt=prompt, step="confirm")
        if draft is not None:
            await cards.show(who, draft, bot=message.get_bot(), chat_id=message.chat_id)
        return
    if spec.max_references == 0:
        await who.services.drafts.change(who.id, draft, "prompt", prompt=prompt, step="aspect")
        await message.reply_text(
            t(who.lang, "no_refs_model", label=spec.label) + "\n" + t(who.lang, "choose_aspect"),
            reply_markup=keyboards.aspects(who.lang, spec.aspect_ratios, draft.id))
        return
    draft = await who.services.drafts.change(who.id, draft, "prompt", prompt=prompt, step="refs")
    if draft is None:
        return
    count = len(draft.references)
    text = t(who.lang, "send_refs", max=spec.max_references)
    if count:
        text = t(who.lang, "refs_added", added=count, count=count, max=spec.max_references)
    await message.reply_text(text, reply_markup=keyboards.refs(who.lang, draft.id, bool(count)))


@wizard_button
async def refs_done(update: Update, context: Context, who: Who) -> None:
    _, draft = await named_draft(update, who, "refs")
    if draft is None:
        await expired(update, who)
        return
    if draft.aspect is not None or draft.model not in who.services.settings.models:
        await cards.show(who, draft, update=update)  # references changed from a card (or a gone model): the card
        return
    draft = await who.services.drafts.change(who.id, draft, "refs", step="aspect")
    if draft is None:
        return
    spec = who.services.settings.models[draft.model]
    await reply(update, t(who.lang, "choose_aspect"), keyboards.aspects(who.lang, spec.aspect_ratios, draft.id))


@wizard_button
async def aspect_chosen(update: Update, context: Context, who: Who) -> None:
    aspect, draft = await named_draft(update, who, "aspect", "confirm")
    spec = who.services.settings.models.get(draft.model) if draft is not None else None
    if spec is None or aspect not in spec.aspect_ratios:
        await expired(update, who)
        return
    draft = await who.services.drafts.change(who.id, draft, ("aspect", "confirm"), aspect=aspect)
    if draft is not None:
        await cards.show(who, draft, update=update)


@wizard_button
async def confirmed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    _, draft_id = cb.draft_of(query.data)
    shown = await who.services.drafts.get(who.id, draft_id)
    spec = who.services.settings.models.get(shown.model) if shown is not None and shown.step == "confirm" else None
    if spec is not None and who.balance < spec.price * shown.count:  # the card stays, to change or top up
        await update.get_bot().send_message(
            update.effective_chat.id, t(who.lang, "not_enough", needed=spec.price * shown.count, balance=who.balance),
            reply_markup=keyboards.low_balance(who.lang, who.services.settings.payments))
        return
    if spec is not None and (cards.stale_price(query, spec.price * shown.count)  # it spends what it names only
                             or cards.unsaid_photos(who, query, shown)):
        context.user_data.get("presses", {}).pop((query.message.message_id, query.data), None)  # (press it again)
        await cards.show(who, shown, update=update)
        return
    draft = await who.services.drafts.take(who.id, draft_id, query.message.message_id)
    if draft is None:
        known = await who.services.drafts.get(who.id, draft_id)
        if known is None or known.step != "confirmed":  # confirmed: a late second tap, its job runs already
            await expired(update, who)
        return
    request = GenerationRequest(
        user_id=who.id, model=draft.model, prompt=draft.prompt, aspect_ratio=draft.aspect,
        references=tuple(cards.sent_refs(who, draft)), source="bot", chat_id=update.effective_chat.id,
        status_message_id=query.message.message_id, count=draft.count, style=draft.style,
        options=cards.request_options(who, draft),
    )
    if not await start_generation(update, who, request) and spec is not None and (
            await db_read(who.services.engine.credits.balance, who.id) < spec.price * draft.count):
        # nothing held: the balance was spent meanwhile (another card); the card comes back
        draft = await who.services.drafts.change(who.id, draft, "confirmed", step="confirm")
        if draft is not None:  # its card again, below the reason, to change it or top up first
            await cards.show(who, draft, bot=update.get_bot(), chat_id=update.effective_chat.id)


@wizard_button
async def leave(update: Update, context: Context, who: Who) -> None:
    _, draft_id = cb.draft_of(update.callback_query.data)
    draft = await who.services.drafts.get(who.id, draft_id)
    if draft is None:
        await expired(update, who)
        return
    if draft.step == "confirmed":
        return  # its card is the status message of the job it started now
    await who.services.drafts.drop(who.id, draft_id)
    await reply(update, t(who.lang, "wizard_left"))

def register(app: Application, group: int = 0) -> None:
    app.add_handler(CallbackQueryHandler(begin, pattern=cb.GENERATE.pattern), group)
    app.add_handler(CallbackQueryHandler(model_chosen, pattern=cb.MODEL.pattern), group)
    app.add_handler(CallbackQueryHandler(refs_done, pattern=cb.SKIP.pattern), group)
    app.add_handler(CallbackQueryHandler(aspect_chosen, pattern=cb.ASPECT.pattern), group)
    app.add_handler(CallbackQueryHandler(confirmed, pattern=cb.CONFIRM.pattern), group)
    app.add_handler(CallbackQueryHandler(leave, pattern=cb.LEAVE.pattern), group)
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_received), group)
    # a group of its own, before every other handler's: a paste's "/word" part never reaches a command
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, paste_continued), group - 1)
