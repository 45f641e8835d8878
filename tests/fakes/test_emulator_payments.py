"""The emulator's Stars payments, driven by python-telegram-bot's Bot: the methods answer and
refuse as the Bot API documents, and the updates parse into PTB's own objects."""

from __future__ import annotations

import pytest
from telegram import Bot, LabeledPrice, Update
from telegram.error import BadRequest

from .emulator_payments import Declined, checkout, complete, deliver_again, invoices, refund_outside, stars
from .telegram_emulator import TelegramEmulator


@pytest.fixture
async def emu():
    async with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu):
    async with Bot(emu.token, base_url=f"{emu.url}/bot", base_file_url=f"{emu.url}/file/bot") as b:
        yield b


async def invoice(bot, chat_id=5, *, title="100 credits", amount=10, **kwargs):
    return await bot.send_invoice(chat_id, title=title, description="d", payload="p:1", currency=kwargs.pop("currency", "XTR"),
                                  prices=kwargs.pop("prices", [LabeledPrice("x", amount)]), provider_token="", **kwargs)


async def updates(bot) -> list[Update]:
    got = await bot.get_updates(timeout=0)
    if got:
        await bot.get_updates(offset=got[-1].update_id + 1, timeout=0)
    return got


async def test_an_invoice_paid_and_refunded(emu, bot):
    user = emu.user(5, "Ann")
    message = await invoice(bot)
    assert message.invoice.total_amount == 10 and message.invoice.currency == "XTR"
    query_id = checkout(emu, user)
    [update] = await updates(bot)
    assert (update.pre_checkout_query.id, update.pre_checkout_query.invoice_payload) == (query_id, "p:1")
    assert await update.pre_checkout_query.answer(ok=True)
    with pytest.raises(BadRequest, match="Query_id_invalid"):
        await update.pre_checkout_query.answer(ok=True)  # answered once
    charge = complete(emu, query_id)
    [paid] = await updates(bot)
    assert paid.message.successful_payment.telegram_payment_charge_id == charge
    deliver_again(emu, charge)
    [again] = await updates(bot)
    assert again.message.successful_payment == paid.message.successful_payment and again.update_id != paid.update_id
    assert await bot.refund_star_payment(5, charge)
    [refunded] = await updates(bot)
    assert refunded.message.refunded_payment.telegram_payment_charge_id == charge
    with pytest.raises(BadRequest, match="(?i)charge_already_refunded"):
        await bot.refund_star_payment(5, charge)
    with pytest.raises(BadRequest, match="(?i)charge_not_found"):
        await bot.refund_star_payment(6, "stxNoSuchCharge")
    transactions = (await bot.get_star_transactions()).transactions
    assert [(t.id, t.amount, t.source is not None) for t in transactions] == [(charge, 10, True), (charge, 10, False)]
    assert transactions[0].source.user.id == 5 and transactions[1].receiver.user.id == 5


async def test_a_declined_checkout_moves_no_stars(emu, bot):
    user = emu.user(5, "Ann")
    await invoice(bot)
    query_id = checkout(emu, user)
    [update] = await updates(bot)
    with pytest.raises(BadRequest, match="(?i)error_message_empty"):
        await bot.answer_pre_checkout_query(query_id, ok=False)
    await bot.answer_pre_checkout_query(query_id, ok=False, error_message="Sold out")
    with pytest.raises(Declined, match="Sold out"):
        complete(emu, query_id)
    assert stars(emu).transactions == [] and len(invoices(emu, user)) == 1


@pytest.mark.parametrize(("change", "error"), [
    ({"title": ""}, "(?i)invoice_title_empty"), ({"title": "x" * 33}, "too long"),
    ({"currency": "USD"}, "(?i)telegram stars"), ({"prices": [LabeledPrice("a", 1), LabeledPrice("b", 2)]}, "(?i)currency_total_amount_invalid"),
    ({"amount": 0}, "(?i)currency_total_amount_invalid"),
])
async def test_stars_invoices_are_checked(emu, bot, change, error):
    emu.user(5, "Ann")
    with pytest.raises(BadRequest, match=error):
        await invoice(bot, **change)


async def test_star_transactions_page_and_refunds_outside_reach_the_bot(emu, bot):
    user = emu.user(5, "Ann")
    await invoice(bot)
    charges = []
    for _ in range(5):
        query_id = checkout(emu, user)
        stars(emu).queries[query_id].answer = {"ok": True, "error_message": None}
        charges.append(complete(emu, query_id, deliver=False))
    refund_outside(emu, charges[0])
    pages = [(await bot.get_star_transactions(offset=o, limit=2)).transactions for o in (0, 2, 4, 6)]
    assert [len(p) for p in pages] == [2, 2, 2, 0]
    assert len((await bot.get_star_transactions(offset=0, limit=500)).transactions) == 6  # limit clamped to 100
    refunded = [u for u in await updates(bot) if u.message and u.message.refunded_payment]
    assert [u.message.refunded_payment.telegram_payment_charge_id for u in refunded] == [charges[0]]
