"""What runs before every handler: the button press answered, the user identified (blocked
users stop here), and a quick second tap of a spending button ignored."""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from typing import Awaitable, Callable

from telegram import Update
from telegram.error import BadRequest

from .who import Context, Who, identify

log = logging.getLogger("higgsctl.bot")


QUERIES_KEPT = 100  # a user's latest presses of spending buttons, by callback query id

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
    Call it before the handler's first await, so two taps handled concurrently can't both pass.
    This process's memory only: a press delivered again after a restart or to another replica
    is stopped by its hold, keyed on the press (launch.py ``press_key``)."""
    query = update.callback_query
    queries = context.user_data.setdefault("queries", deque(maxlen=QUERIES_KEPT))
    if query.id in queries:  # the same press delivered again, however late (a webhook retried)
        return False
    queries.append(query.id)
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
