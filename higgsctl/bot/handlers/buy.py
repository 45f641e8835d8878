"""Buying credits with Telegram Stars: /buy and the Buy button show the packs, a pack's button
sends its invoice, the pre-checkout query is answered here (Telegram cancels the payment after
10 s), ``successful_payment`` credits once and sends the receipt, ``refunded_payment`` (any
refund, ours or one made outside) reverses the purchase. And /terms."""

from __future__ import annotations

import logging

from telegram import LabeledPrice, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, PreCheckoutQueryHandler, filters

from higgsctl.engine import NotFound
from higgsctl.engine.packs import CURRENCY, invoice_payload

from .. import callbacks as cb
from .. import keyboards
from ..services import Services, db, db_read, services
from ..texts import language_for, t
from .guards import guarded
from .replies import reply
from .who import Context, Who

log = logging.getLogger("higgsctl.bot.buy")


@guarded
async def show_packs(update: Update, context: Context, who: Who) -> None:
    payments = who.services.settings.payments
    if not payments.stars:
        await _say(update, t(who.lang, "buy_off"))
        return
    balance = await db_read(who.services.engine.credits.balance, who.id)
    markup = keyboards.packs(who.lang, list(payments.packs.values()))
    await _say(update, t(who.lang, "buy_head", balance=balance), markup)


@guarded
async def send_invoice(update: Update, context: Context, who: Who) -> None:
    """The pack's button carries its price: a pack changed since the menu was drawn is not sold."""
    payments = who.services.settings.payments
    parts = cb.BUY_PACK.parts(update.callback_query.data)
    pack = payments.pack(parts[0]) if len(parts) == 2 else None
    if not payments.stars:
        await reply(update, t(who.lang, "buy_off"))
        return
    if pack is None or str(pack.stars) != parts[1]:
        await reply(update, t(who.lang, "pack_changed"), keyboards.packs(who.lang, list(payments.packs.values())))
        return
    label = pack.label(who.lang)
    await update.get_bot().send_invoice(
        update.effective_chat.id, title=t(who.lang, "invoice_title", credits=pack.credits),
        description=t(who.lang, "invoice_description", label=label, credits=pack.credits),
        payload=invoice_payload(pack, who.id), currency=CURRENCY, provider_token="",
        prices=[LabeledPrice(t(who.lang, "invoice_price", credits=pack.credits), pack.stars)],
    )


async def pre_checkout(update: Update, context: Context) -> None:
    """Not ``guarded``: a pre-checkout query has no chat, and every one needs an answer, blocked
    users' included (a decline)."""
    query = update.pre_checkout_query
    s = services(context)
    problem = s.settings.payments.checkout_problem(query.invoice_payload, query.currency, query.total_amount,
                                                   query.from_user.id)
    lang = language_for(query.from_user.language_code)
    if problem is None:
        try:
            user = await db_read(s.engine.users.get, query.from_user.id)
        except NotFound:
            problem = "not_yours"
        else:
            lang = user.language
            problem = "blocked" if user.blocked else None
    if problem:
        log.info("pre-checkout from %s declined: %s", query.from_user.id, problem)
        await query.answer(ok=False, error_message=t(lang, f"checkout_{problem}"))
    else:
        await query.answer(ok=True)


async def paid(update: Update, context: Context) -> None:
    """Credit once, receipt once (a repeated update finds both done and stays silent). Not
    ``guarded``: a user blocked after paying still gets what they paid for."""
    message, s = update.effective_message, services(context)
    payment = message.successful_payment
    user = await _account(s, update)
    credited = await db(s.engine.payments.credit, charge_id=payment.telegram_payment_charge_id, user_id=user.id,
                        payload=payment.invoice_payload, stars=payment.total_amount,
                        provider_charge_id=payment.provider_payment_charge_id or None)
    if not credited.new:
        log.info("payment %s delivered again; credited once already", payment.telegram_payment_charge_id)
    p = credited.payment
    if not await db(s.engine.payments.claim_receipt, p.id):
        return
    key = "receipt" if p.credits else "receipt_unknown"
    await message.reply_text(t(user.language, key, stars=p.stars, credits=p.credits, balance=credited.balance, id=p.id))


async def refunded(update: Update, context: Context) -> None:
    message, s = update.effective_message, services(context)
    refund = message.refunded_payment
    user = await _account(s, update)
    p = await db(s.engine.payments.record_outside_refund, refund.telegram_payment_charge_id, user_id=user.id,
                 stars=refund.total_amount, payload=refund.invoice_payload)
    if await db(s.engine.payments.claim_refund_notice, p.id):
        balance = await db_read(s.engine.credits.balance, user.id)
        key = "refunded_you_short" if p.shortfall else "refunded_you"
        await message.reply_text(t(user.language, key, id=p.id, stars=p.stars, credits=p.credits,
                                   taken=p.taken_back, balance=balance))


async def _account(s: Services, update: Update):
    tg_user = update.effective_user
    try:
        return await db_read(s.engine.users.get, tg_user.id)
    except NotFound:  # paid without ever writing to the bot (an invoice forwarded to them)
        user, _ = await db(s.engine.users.register, tg_user.id, username=tg_user.username,
                           first_name=tg_user.first_name or "", last_name=tg_user.last_name,
                           language=language_for(tg_user.language_code))
        return user


@guarded
async def terms(update: Update, context: Context, who: Who) -> None:
    await _say(update, who.services.settings.payments.text("terms", who.lang))


async def _say(update: Update, text: str, markup=None) -> None:
    if update.callback_query:
        await reply(update, text, markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


def register(app: Application, group: int = 0) -> None:
    app.add_handler(PreCheckoutQueryHandler(pre_checkout), group)
    app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, paid), group)
    app.add_handler(MessageHandler(filters.StatusUpdate.REFUNDED_PAYMENT, refunded), group)
    app.add_handler(CommandHandler("buy", show_packs), group)
    app.add_handler(CallbackQueryHandler(show_packs, pattern=cb.BUY.pattern), group)
    app.add_handler(CallbackQueryHandler(send_invoice, pattern=cb.BUY_PACK.pattern), group)
    app.add_handler(CommandHandler("terms", terms), group)
