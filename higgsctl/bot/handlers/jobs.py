"""Starting a generation from any face of the bot (wizard, Regenerate, Other aspect), the
Cancel button of a queued job, and /cancel."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from higgsctl.engine import (ACTIVE, GenerationRequest, HiggsctlError, InsufficientCredits, InvalidInput, NotFound,
                             UserBlocked)

from .. import keyboards
from ..delivery import Target
from ..services import db
from ..texts import error_text, t
from .common import Context, Who, callback_id, edit, expired, guarded, log, reply


async def start_generation(update: Update, who: Who, request: GenerationRequest) -> bool:
    """Hold the credits and run the job in the background; the status message
    (``request.status_message_id``) shows the outcome of the hold either way."""
    s, bot = who.services, update.get_bot()
    chat_id, message_id = request.chat_id, request.status_message_id
    try:
        generation = await s.engine.generations.create(request)
    except InsufficientCredits as exc:
        await edit(bot, chat_id, message_id, t(who.lang, "not_enough", needed=exc.needed, balance=exc.balance),
                   keyboards.balance(who.lang))
        return False
    except UserBlocked:
        await edit(bot, chat_id, message_id, t(who.lang, "blocked"))
        return False
    except InvalidInput as exc:  # e.g. the model or limits changed since the generation it repeats
        await edit(bot, chat_id, message_id, rejected(who, exc))
        return False
    except HiggsctlError as exc:  # the operator's set-up (no API key, ...): nothing was held
        log.error("generation not started: %s", exc.message)
        await edit(bot, chat_id, message_id, t(who.lang, "unavailable"))
        return False
    # The credits are held: run it before anything else can fail. The job's first event draws
    # the status message ("starting", with Cancel) from its own task; editing it here too would
    # only repeat that edit (a wasted "message is not modified") behind Telegram's pacing.
    target = Target(chat_id, message_id, who.lang) if chat_id is not None else None
    if not s.delivery.launch(generation.id, target):
        # stopping: the job stays pending and the next start resumes it
        await edit(bot, chat_id, message_id, t(who.lang, "st_pending", id=generation.id))
    return True


def rejected(who: Who, exc: HiggsctlError) -> str:
    """Why the engine refused, in the user's language; admins also see the engine's own words."""
    text = t(who.lang, "rejected_input", reason=error_text(who.lang, exc.code, exc.params))
    return f"{text}\n({exc.message})" if who.admin else text


async def owned_generation(update: Update, who: Who):
    """The caller's generation the pressed button names (the second part of its data), or
    None (after saying the menu expired)."""
    generation_id = callback_id(update)
    try:
        generation = await db(who.services.engine.generations.get, generation_id) if generation_id else None
    except NotFound:
        generation = None
    if generation is None or generation.user_id != who.id:
        await expired(update, who)
        return None
    return generation


@guarded
async def cancel_job(update: Update, context: Context, who: Who) -> None:
    generation = await owned_generation(update, who)
    if generation is None:
        return
    await _cancel(update, who, generation.id, edit_status=True)


async def _cancel(update: Update, who: Who, generation_id: int, *, edit_status: bool) -> str:
    if await who.services.engine.generations.cancel(generation_id):
        text = t(who.lang, "job_canceling", id=generation_id)
        if edit_status:
            await reply(update, text)
        return text
    text = t(who.lang, "job_not_cancelable", id=generation_id)
    if edit_status:
        await update.get_bot().send_message(update.effective_chat.id, text)
    return text


@guarded
async def cancel_command(update: Update, context: Context, who: Who) -> None:
    """Leave the wizard, cancel this user's jobs that have not started generating, and say
    which ones can no longer be cancelled."""
    lines = []
    if who.services.drafts.drop_open(who.id):
        lines.append(t(who.lang, "wizard_left"))
    unfinished = await db(who.services.engine.generations.unfinished, "bot")
    for generation in unfinished:
        if generation.user_id != who.id:
            continue
        if generation.status in keyboards.CANCELABLE:
            lines.append(await _cancel(update, who, generation.id, edit_status=False))
        elif generation.status in ACTIVE:
            lines.append(t(who.lang, "job_running", id=generation.id, cost=generation.cost))
    await update.effective_message.reply_text("\n".join(lines) or t(who.lang, "nothing_to_cancel"))


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CommandHandler("cancel", cancel_command), group)
    app.add_handler(CallbackQueryHandler(cancel_job, pattern=r"^c:\d+$"), group)
