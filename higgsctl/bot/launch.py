"""Launching a generation from any face of the bot (a card's Generate, Regenerate, a ratio
of Other aspect): hold the credits (count × price for a request of several images, all at
once or none), then hand each job to delivery to run in the background."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from higgsctl.engine import GenerationRequest, HiggsctlError, InsufficientCredits, InvalidInput, UserBlocked

from . import keyboards
from .texts import error_text, t
from .tracking import Target

if TYPE_CHECKING:
    from .handlers.who import Who

log = logging.getLogger("higgsctl.bot")


async def start_generation(update: Update, who: Who, request: GenerationRequest) -> bool:
    """Hold the credits and run the job(s) in the background; the status message
    (``request.status_message_id``) shows the outcome of the hold either way. The jobs of
    one request share it (delivery sends a batch together when all are done)."""
    s, bot = who.services, update.get_bot()
    chat_id, message_id = request.chat_id, request.status_message_id
    try:
        batch = await s.engine.generations.create_batch(request)
    except InsufficientCredits as exc:
        await edit(bot, chat_id, message_id, t(who.lang, "not_enough", needed=exc.needed, balance=exc.balance),
                   keyboards.low_balance(who.lang, s.settings.payments))
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
    launched = [s.delivery.launch(generation.id, target) for generation in batch]
    if not all(launched):
        # stopping: the jobs stay pending and the next start resumes them
        await edit(bot, chat_id, message_id, t(who.lang, "st_pending", id=batch[0].id))
    return True


def rejected(who: Who, exc: HiggsctlError) -> str:
    """Why the engine refused, in the user's language; admins also see the engine's own words."""
    text = t(who.lang, "rejected_input", reason=error_text(who.lang, exc.code, exc.params))
    return f"{text}\n({exc.message})" if who.admin else text


async def edit(bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> bool:
    """Edit a message the bot sent; False (logged) when Telegram refuses."""
    try:
        await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message:
            log.info("could not edit message %s: %s", message_id, exc.message)
            return False
    return True
