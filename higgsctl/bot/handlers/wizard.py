"""The generation wizard: model → prompt → reference photos (photos.py) or Skip → aspect
ratio → confirm with the price → the engine runs it (jobs.py).

Each wizard is a draft (drafts.py) whose id all its buttons carry: a button acts on its own
draft only, so an older message can never act on a newer wizard, and Confirm runs what its
card shows. Typed text goes to the current draft."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from higgsctl.engine import GenerationRequest

from .. import callbacks as cb
from .. import keyboards
from ..drafts import Draft
from ..services import db
from ..texts import t
from ..launch import start_generation
from . import pastes
from .guards import guarded
from .menus import hint, hint_for, model_menu
from .replies import expired, reply
from .who import Context, Who, current_draft, named_draft


def wizard_button(fn):
    """A wizard button: a quick second tap of it is ignored (it would find its draft moved on)."""
    return guarded(fn, once=True)


@guarded
async def begin(update: Update, context: Context, who: Who) -> None:
    draft = who.services.drafts.start(who.id)
    await reply(update, *model_menu(who, draft))


@wizard_button
async def model_chosen(update: Update, context: Context, who: Who) -> None:
    key, draft = named_draft(update, who, "model", "prompt")
    spec = who.services.settings.models.get(key)
    if draft is None or spec is None:
        await expired(update, who)
        return
    draft.model, draft.step, draft.refs = key, "prompt", draft.refs[: spec.max_references]
    who.services.drafts.touch(who.id, draft)
    await reply(update, t(who.lang, "send_prompt", label=spec.label), keyboards.cancel_only(who.lang, draft.id))


@guarded
async def text_received(update: Update, context: Context, who: Who) -> None:
    draft = current_draft(who)
    if draft is None or draft.step != "prompt":
        await hint(update, context, who)
        return

    async def take(message: Message, text: str) -> None:
        if draft is current_draft(who) and draft.step == "prompt":
            await prompt_received(message, who, draft, text)
        else:  # the user moved on while the parts arrived, or a second text came right after
            await message.reply_text(*hint_for(who))

    await pastes.collect(update, context, who, take)


async def prompt_received(message: Message, who: Who, draft: Draft, text: str) -> None:
    """The whole text of a paste (one or more messages) as the prompt of ``draft``."""
    prompt = " ".join(text.split())
    limit = who.services.settings.limits.max_prompt_chars
    if not prompt:
        await message.reply_text(t(who.lang, "prompt_empty"))
        return
    if len(prompt) > limit:
        await message.reply_text(t(who.lang, "prompt_too_long", length=len(prompt), limit=limit))
        return
    draft.prompt = prompt
    spec = who.services.settings.models[draft.model]
    if spec.max_references == 0:
        draft.step = "aspect"
        await message.reply_text(
            t(who.lang, "no_refs_model", label=spec.label) + "\n" + t(who.lang, "choose_aspect"),
            reply_markup=keyboards.aspects(who.lang, spec.aspect_ratios, draft.id))
        return
    draft.step = "refs"
    text = t(who.lang, "send_refs", max=spec.max_references)
    if draft.refs:
        text = t(who.lang, "refs_added", added=len(draft.refs), count=len(draft.refs), max=spec.max_references)
    await message.reply_text(text, reply_markup=keyboards.refs(who.lang, draft.id, bool(draft.refs)))


@wizard_button
async def refs_done(update: Update, context: Context, who: Who) -> None:
    _, draft = named_draft(update, who, "refs")
    if draft is None:
        await expired(update, who)
        return
    draft.step = "aspect"
    who.services.drafts.touch(who.id, draft)
    spec = who.services.settings.models[draft.model]
    await reply(update, t(who.lang, "choose_aspect"), keyboards.aspects(who.lang, spec.aspect_ratios, draft.id))


@wizard_button
async def aspect_chosen(update: Update, context: Context, who: Who) -> None:
    aspect, draft = named_draft(update, who, "aspect", "confirm")
    spec = who.services.settings.models.get(draft.model) if draft is not None else None
    if spec is None or aspect not in spec.aspect_ratios:
        await expired(update, who)
        return
    # A new card: any card drawn before for this draft no longer confirms (drafts.take).
    draft.aspect, draft.step, draft.card = aspect, "confirm", None
    who.services.drafts.touch(who.id, draft)
    balance = await db(who.services.engine.credits.balance, who.id)
    text = t(who.lang, "confirm", label=spec.label, aspect=aspect, refs=len(draft.refs), prompt=draft.prompt,
             price=spec.price, balance=balance)
    draft.card = await reply(update, text, keyboards.confirm(who.lang, spec.price, draft.id))


@wizard_button
async def confirmed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    _, draft_id = cb.draft_of(query.data)
    draft = who.services.drafts.take(who.id, draft_id, query.message.message_id)  # before any await
    if draft is None:
        known = who.services.drafts.get(who.id, draft_id)
        if known is None or known.open:  # a confirmed draft: a late second tap, its job runs already
            await expired(update, who)
        return
    request = GenerationRequest(
        user_id=who.id, model=draft.model, prompt=draft.prompt, aspect_ratio=draft.aspect,
        references=tuple(draft.refs), source="bot", chat_id=update.effective_chat.id,
        status_message_id=query.message.message_id,
    )
    await start_generation(update, who, request)


@wizard_button
async def leave(update: Update, context: Context, who: Who) -> None:
    _, draft_id = cb.draft_of(update.callback_query.data)
    draft = who.services.drafts.get(who.id, draft_id)
    if draft is None:
        await expired(update, who)
        return
    if not draft.open:
        return  # its card is the status message of the job it started now
    who.services.drafts.drop(who.id, draft_id)
    await reply(update, t(who.lang, "wizard_left"))


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CallbackQueryHandler(begin, pattern=cb.GENERATE.pattern), group)
    app.add_handler(CallbackQueryHandler(model_chosen, pattern=cb.MODEL.pattern), group)
    app.add_handler(CallbackQueryHandler(refs_done, pattern=cb.SKIP.pattern), group)
    app.add_handler(CallbackQueryHandler(aspect_chosen, pattern=cb.ASPECT.pattern), group)
    app.add_handler(CallbackQueryHandler(confirmed, pattern=cb.CONFIRM.pattern), group)
    app.add_handler(CallbackQueryHandler(leave, pattern=cb.LEAVE.pattern), group)
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_received), group)
