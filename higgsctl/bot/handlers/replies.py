"""Answering a chat turn: edit the message whose button was pressed, else send a new one."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from ..texts import t
from .who import Who

log = logging.getLogger("higgsctl.bot")


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
    """Edit the message whose button was pressed, else send a new one; returns its id."""
    query = update.callback_query
    if query is not None and query.message is not None and getattr(query.message, "text", None) is not None:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return query.message.message_id
        except BadRequest as exc:
            if "not modified" in exc.message:
                return query.message.message_id
            log.info("could not edit message: %s", exc.message)
    message = await update.get_bot().send_message(update.effective_chat.id, text, reply_markup=markup)
    return message.message_id


async def expired(update: Update, who: Who) -> None:
    await reply(update, t(who.lang, "expired"))
