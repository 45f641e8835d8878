"""The error handler: log (through the redacting log handlers) and tell the user, briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from ..services import services
from ..texts import language_for, t
from .common import Context

log = logging.getLogger("higgsctl.bot")


async def on_error(update: object, context: Context) -> None:
    where = f"update {update.update_id}" if isinstance(update, Update) else "a background task"
    log.error("error while handling %s\n%s", where, services(context).engine.redactor.exception(context.error))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    lang = language_for(update.effective_user.language_code if update.effective_user else None)
    try:
        await context.bot.send_message(update.effective_chat.id, t(lang, "error"))
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)
