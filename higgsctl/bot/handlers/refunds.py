"""Refunds in Telegram: /paysupport (a user picks a recent payment and asks for a refund; every
admin gets Refund / Decline, the first decision counts) and the admins' /refund CHARGE_ID reason.
The engine takes the credits back before Telegram returns the Stars (see engine/payments.py);
the user hears of a refund once, from whoever claims the notice (here or the refunded_payment
message Telegram sends)."""

from __future__ import annotations

import logging

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from higgsctl.engine import HiggsctlError, InvalidInput, NotFound
from higgsctl.engine.audit import bot_actor
from higgsctl.engine.payments import ask_telegram

from .. import callbacks as cb
from .. import keyboards
from ..services import db, db_read
from ..texts import t
from ..texts.payments import ADMIN as PAY_ADMIN
from .guards import guarded, spends
from .ids import row_id
from .replies import expired, reply
from .who import Context, Who

log = logging.getLogger("higgsctl.bot.refunds")


def admin_text(key: str, **values) -> str:
    return PAY_ADMIN[key].format(**values)


@guarded
async def paysupport(update: Update, context: Context, who: Who) -> None:
    payments = await db_read(who.services.engine.payments.refundable, who.id)
    text = who.services.settings.payments.text("support", who.lang)
    if not payments:
        await update.effective_message.reply_text(f"{text}\n\n{t(who.lang, 'paysupport_none')}")
        return
    await update.effective_message.reply_text(f"{text}\n\n{t(who.lang, 'paysupport_pick')}",
                                              reply_markup=keyboards.refundable(who.lang, payments))


@spends
async def ask_refund(update: Update, context: Context, who: Who) -> None:
    parts = cb.ASK_REFUND.parts(update.callback_query.data)
    payment_id = row_id(parts[0]) if parts else None
    engine = who.services.engine
    try:
        payment = await db(engine.payments.ask_refund, payment_id, who.id) if payment_id else None
    except NotFound:
        payment = None
    except InvalidInput:
        await reply(update, t(who.lang, "refund_asked_already", id=payment_id))
        return
    if payment is None:
        await expired(update, who)
        return
    await reply(update, t(who.lang, "refund_asked", id=payment.id))
    user = await db_read(engine.users.get, who.id)
    text = admin_text("refund_request", user=user.display_name, user_id=user.id, id=payment.id, charge=payment.charge_id,
                      stars=payment.stars, credits=payment.credits, date=payment.created_at.strftime("%Y-%m-%d %H:%M"),
                      balance=user.balance)
    for admin_id in sorted(who.services.admin_ids):
        try:
            await update.get_bot().send_message(admin_id, text, reply_markup=keyboards.refund_decision(payment.id))
        except TelegramError as exc:
            log.warning("refund request #%s: admin %s not reached: %s", payment.id, admin_id, exc)


@spends
async def decide(update: Update, context: Context, who: Who) -> None:
    parts = cb.DECIDE_REFUND.parts(update.callback_query.data)
    payment_id = row_id(parts[1]) if who.admin and len(parts) == 2 else None
    try:
        payment = await db_read(who.services.engine.payments.by_id, payment_id) if payment_id else None
    except NotFound:
        payment = None
    if payment is None:
        await expired(update, who)
        return
    engine = who.services.engine
    if parts[0] == "d":
        if not await db(engine.payments.decide_request, payment.id, "declined"):
            await reply(update, admin_text("refund_decided", id=payment.id))
            return
        await reply(update, admin_text("refund_declined", id=payment.id, actor=who.name))
        user = await db_read(engine.users.get, payment.user_id)
        await _tell(update.get_bot(), user.id, t(user.language, "refund_declined_you", id=payment.id))
        return
    if await refund(update, who, payment.charge_id, "/paysupport request"):
        await db(engine.payments.decide_request, payment.id, "refunded")


@guarded
async def refund_command(update: Update, context: Context, who: Who) -> None:
    args = context.args or []
    if not args:
        await update.effective_message.reply_text(admin_text("usage_refund"))
        return
    await refund(update, who, args[0], " ".join(args[1:]) or "admin /refund")


async def refund(update: Update, who: Who, charge_id: str, reason: str) -> bool:
    engine, bot = who.services.engine, update.get_bot()

    def send(user_id: int, charge: str):  # BadRequest is a NetworkError too: answered first
        return ask_telegram(bot.refund_star_payment(user_id, charge), answered=(BadRequest, Forbidden),
                            unanswered=(TelegramError,))

    try:
        actor = bot_actor(who.id, update.effective_user.username, who.name)
        payment = await engine.payments.refund(charge_id, actor=actor, reason=reason, send=send)
    except HiggsctlError as exc:
        await reply(update, admin_text("refund_error", charge=charge_id, message=exc.message))
        return False
    user = await db_read(engine.users.get, payment.user_id)
    await reply(update, admin_text("refund_done", id=payment.id, charge=payment.charge_id, user=user.display_name,
                                   stars=payment.stars, credits=payment.taken_back, balance=user.balance))
    if await db(engine.payments.claim_refund_notice, payment.id):
        await _tell(bot, user.id, t(user.language, "refunded_you", id=payment.id, stars=payment.stars,
                                    credits=payment.taken_back, balance=user.balance))
    return True


async def _tell(bot: Bot, user_id: int, text: str) -> None:
    try:
        await bot.send_message(user_id, text)
    except TelegramError as exc:
        log.info("user %s not told: %s", user_id, exc)


def register(app: Application, admin_ids: tuple[int, ...], group: int = 0) -> None:
    app.add_handler(CommandHandler("paysupport", paysupport), group)
    app.add_handler(CallbackQueryHandler(ask_refund, pattern=cb.ASK_REFUND.pattern), group)
    app.add_handler(CallbackQueryHandler(decide, pattern=cb.DECIDE_REFUND.pattern), group)
    if admin_ids:
        app.add_handler(CommandHandler("refund", refund_command, filters=filters.User(user_id=admin_ids)), group)
