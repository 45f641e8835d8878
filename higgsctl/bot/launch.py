"""Launching a generation from any face of the bot (a card's Generate, Regenerate, a ratio
of Other aspect): hold the credits (count × price for a request of several images, all at
once or none), then hand each job to delivery to run in the background."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from higgsctl.engine import AlreadyHeld, GenerationRequest, HiggsctlError, InsufficientCredits, InvalidInput, UserBlocked

from . import keyboards
from .services import db_read
from .texts import error_text, t
from .tracking import Target

if TYPE_CHECKING:
    from .handlers.who import Who

log = logging.getLogger("higgsctl.bot")


async def start_generation(update: Update, who: Who, request: GenerationRequest) -> bool:
    """Hold the credits and run the job(s) in the background; the status message
    (``request.status_message_id``) shows the outcome of the hold either way. The jobs of
    one request share it (delivery sends a batch together when all are done). A press
    started once: its hold is keyed on the press, so delivered again it holds nothing."""
    s, bot = who.services, update.get_bot()
    chat_id, message_id = request.chat_id, request.status_message_id
    try:
        batch = await s.engine.generations.create_batch(request, origin_key=press_key(update))
    except AlreadyHeld:  # another process handled the same press a moment earlier: its job runs
        log.info("press %s already started its generation", press_key(update))
        await forget_own_status(update, chat_id, message_id)
        return True
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


def press_key(update: Update) -> str | None:
    """What a spending press is held under: its callback query id, unique per press and the
    same when Telegram delivers the press again (after a restart, or to another replica)."""
    return f"cb:{update.callback_query.id}" if update.callback_query is not None else None


async def pressed_before(update: Update, who: Who) -> bool:
    """True when this press already started its generation (call it before drawing a status
    message): the same update delivered again does nothing and says nothing."""
    key = press_key(update)
    return key is not None and await db_read(who.services.engine.generations.held_for, key) is not None


async def forget_own_status(update: Update, chat_id: int, message_id: int) -> None:
    """Delete the status message a press that lost its hold drew, unless it is the pressed
    message itself (that one belongs to the press that won)."""
    pressed = update.callback_query.message if update.callback_query is not None else None
    if pressed is not None and pressed.message_id == message_id:
        return
    try:
        await update.get_bot().delete_message(chat_id, message_id)
    except BadRequest as exc:
        log.info("could not delete message %s: %s", message_id, exc.message)


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
