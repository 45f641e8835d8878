"""The Cancel button of a queued job, and /cancel. (Starting one: ../launch.py.)"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from higgsctl.engine import ACTIVE

from .. import callbacks as cb
from .. import keyboards
from ..services import db
from ..texts import t
from .guards import guarded
from .ids import owned_generation
from .replies import reply
from .who import Context, Who


@guarded
async def cancel_job(update: Update, context: Context, who: Who) -> None:
    """The Cancel button of a status message: its job, or every job of its batch (several
    images of one request share the message) that has not started generating."""
    generation = await owned_generation(update, who)
    if generation is None:
        return
    if generation.batch is None:
        await _cancel(update, who, generation.id, edit_status=True)
        return
    generations = who.services.engine.generations
    siblings = await db(generations.batch, generation.batch)
    canceled = [g.id for g in siblings if g.status in keyboards.CANCELABLE and await generations.cancel(g.id)]
    await _cancel(update, who, generation.id, edit_status=True, canceled=bool(canceled))


async def _cancel(update: Update, who: Who, generation_id: int, *, edit_status: bool,
                  canceled: bool | None = None) -> str:
    if canceled if canceled is not None else await who.services.engine.generations.cancel(generation_id):
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
    if await who.services.drafts.drop_open(who.id):
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
    app.add_handler(CallbackQueryHandler(cancel_job, pattern=cb.CANCEL.pattern), group)
