"""What every handler needs: who is talking (registered, language, blocked, admin), the
wizard draft a button names, and replying by editing when a button was pressed."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from higgsctl.engine import NotFound

from ..drafts import Draft
from ..keyboards import draft_of
from ..services import Services, db, services
from ..texts import language_for, t

log = logging.getLogger("higgsctl.bot")

Context = ContextTypes.DEFAULT_TYPE


@dataclass
class Who:
    id: int
    lang: str
    name: str
    balance: int
    admin: bool
    services: Services


def current_draft(who: Who) -> Draft | None:
    """The wizard draft text and photos go to (the one touched last), if any."""
    return who.services.drafts.current(who.id)


def named_draft(update: Update, who: Who, *steps: str) -> tuple[str, Draft | None]:
    """(argument, draft) of a wizard button: the draft its callback data names, if that
    draft still exists and is at one of ``steps``."""
    argument, draft_id = draft_of(update.callback_query.data or "")
    draft = who.services.drafts.get(who.id, draft_id)
    return argument, draft if draft is not None and draft.step in steps else None


async def identify(update: Update, context: Context) -> Who | None:
    """The engine's user for this update (registered on first contact); None when blocked
    (after telling them so) or when the update has no user."""
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot or not private(update):
        return None
    s = services(context)
    try:
        user = await db(s.engine.users.get, tg_user.id)
    except NotFound:
        user, _ = await db(s.engine.users.register, tg_user.id, username=tg_user.username,
                           first_name=tg_user.first_name or "", last_name=tg_user.last_name,
                           language=language_for(tg_user.language_code))
    admin = s.is_admin(tg_user.id)
    if user.blocked and not admin:
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, t(user.language, "blocked"))
        return None
    return Who(id=user.id, lang=user.language, name=tg_user.first_name or user.display_name,
               balance=user.balance, admin=admin, services=s)


def private(update: Update) -> bool:
    """The bot serves private chats only; in groups it stays silent."""
    return update.effective_chat is not None and update.effective_chat.type == "private"


Handler = Callable[[Update, Context, Who], Awaitable[None]]


def guarded(fn: Handler, *, once: bool = False) -> Callable[[Update, Context], Awaitable[None]]:
    """Answer a button press first, then identify the user; blocked users stop here.
    ``once``: the button spends credits, so a quick second tap is ignored."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context) -> None:
        if once and update.callback_query is not None and not first_press(update, context):
            await update.callback_query.answer()
            return
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except BadRequest as exc:  # a press that waited too long (bot was down): still handle it
                log.info("callback not answered: %s", exc.message)
        who = await identify(update, context)
        if who is not None:
            await fn(update, context, who)

    return wrapper


def first_press(update: Update, context: Context, window: float = 5.0) -> bool:
    """False for a repeat of the same button on the same message within ``window`` seconds.
    Call it before the handler's first await, so two taps handled concurrently can't both pass."""
    query = update.callback_query
    key = (query.message.message_id if query.message else 0, query.data)
    now = time.monotonic()
    presses = context.user_data.setdefault("presses", {})
    for old in [k for k, at in presses.items() if now - at > window]:
        del presses[old]
    if key in presses:
        return False
    presses[key] = now
    return True


def spends(fn: Handler) -> Callable[[Update, Context], Awaitable[None]]:
    """``guarded`` for buttons that start a paid generation."""
    return guarded(fn, once=True)


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


MAX_ROW_ID = 2**63 - 1  # the largest id SQLite's INTEGER and PostgreSQL's bigint hold


def row_id(raw: str) -> int | None:
    """The database id a button's callback data names, or None when it can't be one: a
    hostile client sends any string (``-1``, ``٣``, 30 digits), and a query with an id
    beyond the column's range raises instead of finding nothing."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ROW_ID else None


def callback_id(update: Update, index: int = 1) -> int | None:
    """``row_id`` of the ``index``-th ``:``-separated part of the pressed button's data."""
    parts = (update.callback_query.data or "").split(":")
    return row_id(parts[index]) if index < len(parts) else None


async def edit(bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """Edit a message the bot sent; False (logged) when Telegram refuses."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            log.info("could not edit message %s: %s", message_id, exc.message)
            return False
    return True
