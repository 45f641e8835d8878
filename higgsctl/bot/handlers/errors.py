"""The error handler: log (through the redacting log handlers) and tell the user, briefly."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from ..services import db, services
from ..texts import language_for, t
from .who import Context

log = logging.getLogger("higgsctl.bot")


async def on_error(update: object, context: Context) -> None:
    s = services(context)
    where = f"update {update.update_id}" if isinstance(update, Update) else "a background task"
    # exc_info, not a formatted string: the handlers redact the traceback, and Sentry (when
    # configured) gets the exception itself, so each kind of crash is one issue there.
    log.error("error while handling %s", where, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    lang = await _language(context, update)
    try:
        await context.bot.send_message(update.effective_chat.id, t(lang, "error"))
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


async def _language(context: Context, update: Update) -> str:
    """The language the user chose (/lang), else their Telegram app's: the error may be the
    database itself."""
    tg_user = update.effective_user
    if tg_user is None:
        return language_for(None)
    try:
        return (await db(services(context).engine.users.get, tg_user.id)).language
    except Exception:  # noqa: BLE001  (unregistered, or the database is what failed)
        return language_for(tg_user.language_code)
