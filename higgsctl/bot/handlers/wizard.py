"""The generation wizard: model → prompt → reference photos (photos.py) or Skip → aspect
ratio → confirm with the price → the engine runs it (jobs.py)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from higgsctl.engine import GenerationRequest

from .. import keyboards
from ..services import db
from ..texts import t
from .common import Context, Who, Wizard, expired, guarded, reply, set_wizard, wizard
from .jobs import start_generation
from .start import hint


def model_menu(who: Who, with_reference: bool = False) -> tuple[str, keyboards.Markup]:
    specs = list(who.services.settings.models.values())
    return t(who.lang, "choose_model_with_ref" if with_reference else "choose_model"), keyboards.models(who.lang, specs)


@guarded
async def begin(update: Update, context: Context, who: Who) -> None:
    set_wizard(context, Wizard())
    await reply(update, *model_menu(who))


@guarded
async def model_chosen(update: Update, context: Context, who: Who) -> None:
    key = update.callback_query.data.split(":", 1)[1]
    spec = who.services.settings.models.get(key)
    if spec is None:
        await expired(update, who)
        return
    state = wizard(context)
    # A model button is self-contained: it (re)starts the wizard, keeping a reference
    # chosen with "Use as reference" just before.
    refs = state.refs if state is not None and state.step == "model" else []
    set_wizard(context, Wizard(step="prompt", model=key, refs=refs[: spec.max_references]))
    await reply(update, t(who.lang, "send_prompt", label=spec.label), keyboards.cancel_only(who.lang))


@guarded
async def text_received(update: Update, context: Context, who: Who) -> None:
    state = wizard(context)
    if state is None or state.step != "prompt":
        await hint(update, context, who)
        return
    prompt = " ".join((update.effective_message.text or "").split())
    limit = who.services.settings.limits.max_prompt_chars
    if not prompt:
        await update.effective_message.reply_text(t(who.lang, "prompt_empty"))
        return
    if len(prompt) > limit:
        await update.effective_message.reply_text(t(who.lang, "prompt_too_long", length=len(prompt), limit=limit))
        return
    state.prompt = prompt
    spec = who.services.settings.models[state.model]
    if spec.max_references == 0:
        state.step = "aspect"
        await update.effective_message.reply_text(
            t(who.lang, "no_refs_model", label=spec.label) + "\n" + t(who.lang, "choose_aspect"),
            reply_markup=keyboards.aspects(who.lang, spec.aspect_ratios))
        return
    state.step = "refs"
    text = t(who.lang, "send_refs", max=spec.max_references)
    if state.refs:
        text = t(who.lang, "refs_added", added=len(state.refs), count=len(state.refs), max=spec.max_references)
    await update.effective_message.reply_text(text, reply_markup=keyboards.refs(who.lang, bool(state.refs)))


@guarded
async def refs_done(update: Update, context: Context, who: Who) -> None:
    state = wizard(context)
    if state is None or state.step != "refs":
        await expired(update, who)
        return
    state.step = "aspect"
    spec = who.services.settings.models[state.model]
    await reply(update, t(who.lang, "choose_aspect"), keyboards.aspects(who.lang, spec.aspect_ratios))


@guarded
async def aspect_chosen(update: Update, context: Context, who: Who) -> None:
    state = wizard(context)
    aspect = update.callback_query.data.split(":", 1)[1]
    if state is None or state.step not in ("aspect", "confirm"):
        await expired(update, who)
        return
    spec = who.services.settings.models[state.model]
    if aspect not in spec.aspect_ratios:
        await expired(update, who)
        return
    state.aspect, state.step = aspect, "confirm"
    balance = await db(who.services.engine.credits.balance, who.id)
    text = t(who.lang, "confirm", label=spec.label, aspect=aspect, refs=len(state.refs), prompt=state.prompt,
             price=spec.price, balance=balance)
    await reply(update, text, keyboards.confirm(who.lang, spec.price))


@guarded
async def confirmed(update: Update, context: Context, who: Who) -> None:
    query = update.callback_query
    state = wizard(context)
    if state is None or state.step != "confirm":
        if context.user_data.get("confirmed") != query.message.message_id:  # not a double press
            await expired(update, who)
        return
    set_wizard(context, None)  # taken before any await: a second press finds nothing to run
    context.user_data["confirmed"] = query.message.message_id
    request = GenerationRequest(
        user_id=who.id, model=state.model, prompt=state.prompt, aspect_ratio=state.aspect,
        references=tuple(state.refs), source="bot", chat_id=update.effective_chat.id,
        status_message_id=query.message.message_id,
    )
    await start_generation(update, who, request)


@guarded
async def leave(update: Update, context: Context, who: Who) -> None:
    set_wizard(context, None)
    await reply(update, t(who.lang, "wizard_left"))


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CallbackQueryHandler(begin, pattern=r"^g$"), group)
    app.add_handler(CallbackQueryHandler(model_chosen, pattern=r"^m:"), group)
    app.add_handler(CallbackQueryHandler(refs_done, pattern=r"^sk$"), group)
    app.add_handler(CallbackQueryHandler(aspect_chosen, pattern=r"^a:"), group)
    app.add_handler(CallbackQueryHandler(confirmed, pattern=r"^go$"), group)
    app.add_handler(CallbackQueryHandler(leave, pattern=r"^x$"), group)
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_received), group)
