"""/promo CODE and the deep link t.me/<bot>?start=promo-CODE: redeem a promo code, once."""

from __future__ import annotations

import math
import time
from collections import deque

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from higgsctl.engine import InvalidInput, NotFound, UserBlocked
from higgsctl.engine.promos import DEEP_LINK_PREFIX

from .. import keyboards
from ..services import db
from ..texts import error_text, t
from .guards import guarded
from .replies import reply
from .who import Context, Who

GUESSES = 5  # unknown codes a user may try ...
GUESS_WINDOW = 600.0  # ... within this many seconds; then they wait (codes can't be guessed by brute force)


@guarded
async def promo_command(update: Update, context: Context, who: Who) -> None:
    if not context.args:
        await reply(update, t(who.lang, "promo_usage"))
        return
    await redeem(update, context, who, " ".join(context.args))


@guarded
async def promo_link(update: Update, context: Context, who: Who) -> None:
    """/start promo-CODE, what Telegram sends when a user opens the deep link."""
    await redeem(update, context, who, context.args[0].removeprefix(DEEP_LINK_PREFIX))


async def redeem(update: Update, context: Context, who: Who, code: str) -> None:
    misses = context.user_data.setdefault("promo_misses", deque(maxlen=GUESSES))
    now = time.monotonic()
    if len(misses) == GUESSES and now - misses[0] < GUESS_WINDOW:  # guessing codes: slowed down
        minutes = math.ceil((GUESS_WINDOW - (now - misses[0])) / 60)
        await reply(update, t(who.lang, "promo_slow_down", minutes=minutes))
        return
    try:
        promo, balance = await db(who.services.engine.promos.redeem, who.id, code)
    except UserBlocked:
        await reply(update, t(who.lang, "blocked"))
    except (InvalidInput, NotFound) as exc:  # malformed, unknown, used up, expired, already used
        if exc.code == "promo_unknown":
            misses.append(now)
        await reply(update, error_text(who.lang, exc.code, exc.params))
    else:
        await reply(update, t(who.lang, "promo_redeemed", code=promo.code, credits=promo.credits, balance=balance),
                    keyboards.main_menu(who.lang))


def register(app: Application, group: int = 0) -> None:
    """Before start's handlers: a /start with a promo- payload is a redemption, not the menu."""
    deep_link = filters.Regex(rf"^/start(@\w+)? {DEEP_LINK_PREFIX}")
    app.add_handler(CommandHandler("start", promo_link, filters=deep_link), group)
    app.add_handler(CommandHandler("promo", promo_command), group)
