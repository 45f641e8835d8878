"""/topup: a user asks for credits; every admin gets Approve / Reject; the first decision
counts (the engine refuses a second one), the user is told, every admin sees who decided."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from higgsctl.engine import NotFound, TopUpAlreadyDecided, TopUpPending, UserBlocked
from higgsctl.engine.audit import bot_actor

from .. import callbacks as cb
from .. import keyboards
from ..notifier import announce_decision, decided_text
from ..services import db
from ..texts import admin, t
from .guards import guarded
from .ids import row_id
from .replies import expired, reply
from .who import Context, Who

log = logging.getLogger("higgsctl.bot.topup")


@guarded
async def request_topup(update: Update, context: Context, who: Who) -> None:
    s = who.services
    if not s.settings.payments.topup_requests:
        await _answer(update, t(who.lang, "topup_off"))
        return
    try:
        topup = await db(s.engine.topups.request, who.id)
    except TopUpPending:
        pending = await db(s.engine.topups.pending_for, who.id)
        await _answer(update, t(who.lang, "topup_pending", id=pending.id if pending else "?"))
        return
    except UserBlocked:
        await _answer(update, t(who.lang, "blocked"))
        return
    await _answer(update, t(who.lang, "topup_sent", id=topup.id, amount=topup.amount))
    user = await db(s.engine.users.get, who.id)
    text = admin("topup_request", id=topup.id, user=user.display_name, user_id=who.id, amount=topup.amount,
                 balance=user.balance)
    copies = s.topup_messages.setdefault(topup.id, [])
    buttons = keyboards.topup_decision("en", topup.id)
    for admin_id in sorted(s.admin_ids):
        try:
            message = await update.get_bot().send_message(admin_id, text, reply_markup=buttons)
        except TelegramError as exc:  # an admin who never opened the bot can't be messaged
            log.warning("top-up #%s: admin %s not reached: %s", topup.id, admin_id, exc)
            continue
        copies.append((admin_id, message.message_id))


async def _answer(update: Update, text: str) -> None:
    if update.callback_query:
        await update.get_bot().send_message(update.effective_chat.id, text)
    else:
        await update.effective_message.reply_text(text)


@guarded
async def decide(update: Update, context: Context, who: Who) -> None:
    if not who.admin:  # a forged button: nothing useful for non-admins
        await expired(update, who)
        return
    verb, raw_id = cb.DECIDE_TOPUP.parts(update.callback_query.data)
    topup_id = row_id(raw_id)
    if topup_id is None:
        await expired(update, who)
        return
    s, actor = who.services, bot_actor(who.id, update.effective_user.username, who.name)
    actor_name = f"@{update.effective_user.username}" if update.effective_user.username else who.name
    try:
        if verb == "a":
            topup = await db(s.engine.topups.approve, topup_id, actor=actor)
        else:
            topup = await db(s.engine.topups.reject, topup_id, actor=actor)
    except NotFound as exc:
        await reply(update, admin("error", message=exc.message))
        return
    except TopUpAlreadyDecided:  # another admin, the TUI or the CLI decided first
        topup = await db(s.engine.topups.get, topup_id)
        await reply(update, admin("topup_already", id=topup.id, status=topup.status, actor=topup.decided_by))
        return
    user = await db(s.engine.users.get, topup.user_id)
    await reply(update, decided_text(topup, user.display_name, actor_name))
    copies = s.topup_messages.get(topup.id)
    if copies:  # this admin's copy shows the decision already
        message = update.callback_query.message
        s.topup_messages[topup.id] = [c for c in copies if c != (message.chat.id, message.message_id)]
    await announce_decision(s, topup, actor_name)


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CommandHandler("topup", request_topup), group)
    app.add_handler(CallbackQueryHandler(request_topup, pattern=cb.TOPUP.pattern), group)
    app.add_handler(CallbackQueryHandler(decide, pattern=cb.DECIDE_TOPUP.pattern), group)
