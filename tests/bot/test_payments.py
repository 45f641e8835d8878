"""Buying credits with Telegram Stars, end to end: the real application, the Bot API emulator
(invoices, pre-checkout, successful and refunded payments) and a real database (SQLite and
PostgreSQL where money moves)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine.models import Payment
from higgsctl.engine.packs import PackSpec
from higgsctl.engine.reconcile import book_discrepancies
from tests.fakes.emulator_payments import Declined, Invoice, answer, checkout, complete, deliver_again, pay, refund_outside, stars

from .harness import ADMIN, ALICE, Offline, Running, configure, eventually, last_text

BOB = 7


def selling(settings, **changes):
    return replace(settings, payments=replace(settings.payments, stars=True, **changes))


@pytest.fixture
async def bot(settings, emu, database_url):
    configured = replace(selling(configure(settings, emu)), database_url=database_url)
    async with Offline(configured, emu) as offline:
        yield offline


async def started(bot, emu, user_id=ALICE, name="Alice", lang="en"):
    user = emu.user(user_id, name, language_code=lang)
    await user.send_text("/start")
    await bot.feed()
    return user


async def invoice_for(bot, user, pack="small:100"):
    await user.send_text("/buy")
    await bot.feed()
    await user.press(f"bp:{pack}")
    await bot.feed()


async def buy(bot, emu, user, pack="small:100", *, deliver=True) -> str:
    await invoice_for(bot, user, pack)
    query = checkout(emu, user)
    await bot.feed()
    charge = complete(emu, query, deliver=deliver)
    await bot.feed()
    return charge


def books_clean(bot) -> bool:
    return bot.engine.credits.discrepancies() == [] and book_discrepancies() == []


async def test_buying_a_pack_credits_once_with_a_receipt(bot, emu):
    alice = await started(bot, emu)
    await alice.send_text("/balance")
    await bot.feed()
    assert "⭐ Buy credits" in alice.buttons()
    await invoice_for(bot, alice)
    sent = [p for m, p in emu.calls if m == "sendInvoice"]
    assert len(sent) == 1
    assert (sent[0]["currency"], sent[0]["payload"], sent[0].get("provider_token", "")) == ("XTR", f"buy:small:100:2500:{ALICE}", "")
    query = checkout(emu, alice)
    await bot.feed()
    assert answer(emu, query) == {"ok": True, "error_message": None}
    charge = complete(emu, query)
    await bot.feed()
    receipt = last_text(alice)
    assert receipt.startswith("✅ Payment received: 100 ⭐ → +2500 credits. Balance: 12500.")
    deliver_again(emu, charge)  # the same successful_payment twice
    await bot.feed()
    assert bot.engine.credits.balance(ALICE) == 12500
    assert [m.text for m in alice.messages()].count(receipt) == 1
    assert Payment.select().count() == 1 and books_clean(bot)


async def test_the_same_payment_delivered_twice_at_once_is_credited_once(bot, emu):
    alice = await started(bot, emu)
    await invoice_for(bot, alice)
    query = checkout(emu, alice)
    await bot.feed()
    charge = complete(emu, query)
    deliver_again(emu, charge)
    await bot.feed(concurrently=True)
    assert bot.engine.credits.balance(ALICE) == 12500
    assert len([m for m in alice.messages() if (m.text or "").startswith("✅ Payment received")]) == 1
    assert books_clean(bot)


async def test_a_receipt_lost_to_a_crash_is_sent_when_the_update_comes_again(bot, emu):
    alice = await started(bot, emu)
    charge = await buy(bot, emu, alice, deliver=False)
    # the bot credited it and died before the receipt; Telegram, unconfirmed, delivers the update again
    bot.engine.payments.credit(charge_id=charge, user_id=ALICE, payload=f"buy:small:100:2500:{ALICE}", stars=100)
    for _ in range(2):
        deliver_again(emu, charge)
        await bot.feed()
    receipts = [m.text for m in alice.messages() if (m.text or "").startswith("✅ Payment received")]
    assert receipts == ["✅ Payment received: 100 ⭐ → +2500 credits. Balance: 12500.\n"
                        "Payment #1. For a refund of unspent credits use /paysupport."]
    assert bot.engine.credits.balance(ALICE) == 12500 and books_clean(bot)


async def test_a_polling_bot_sells_a_pack_and_an_admin_refunds_it(settings, emu, database_url):
    """As `higgsctl bot run` runs: getUpdates must ask for pre_checkout_query, or every checkout times out."""
    running = await Running(replace(selling(configure(settings, emu)), database_url=database_url)).start()
    try:
        alice, admin = emu.user(ALICE, "Alice"), emu.user(ADMIN, "Admin")
        await alice.send_text("/buy")
        await alice.wait_for_text("Choose a pack")
        await alice.press("bp:large:500")
        await alice.wait_for(lambda m: m.kind == "invoice")
        charge = await pay(emu, alice)
        await alice.wait_for_text("✅ Payment received: 500 ⭐ → +14000 credits. Balance: 24000.")
        await admin.send_text(f"/refund {charge} test")
        await admin.wait_for_text("Refunded payment #1")
        await alice.wait_for_text("↩ Payment #1 was refunded", since_last_action=False)
        await eventually(lambda: running.engine.payments.get(charge).status == "refunded")
        assert stars(emu).charges[charge].refunded and running.engine.credits.balance(ALICE) == 10000
    finally:
        await running.stop()


@pytest.mark.parametrize(("change", "expected"), [
    ("price", "This pack's price has changed"),
    ("gone", "This pack is no longer sold"),
    ("off", "Payments are switched off"),
    ("blocked", "Your account is blocked"),
])
async def test_pre_checkout_is_declined_when_the_sale_no_longer_holds(bot, emu, change, expected):
    alice = await started(bot, emu)
    await invoice_for(bot, alice)
    services = bot.app.bot_data["higgsctl"]
    payments = services.settings.payments
    if change == "price":
        payments = replace(payments, packs={"small": PackSpec("small", 120, 2500)})
    elif change == "gone":
        payments = replace(payments, packs={"large": payments.pack("large")})
    elif change == "off":
        payments = replace(payments, stars=False)
    else:
        bot.engine.users.set_blocked(ALICE, True)
    services.settings = replace(services.settings, payments=payments)
    query = checkout(emu, alice)
    await bot.feed()
    assert answer(emu, query)["ok"] is False and expected in answer(emu, query)["error_message"]
    with pytest.raises(Declined):
        complete(emu, query)
    assert Payment.select().count() == 0 and bot.engine.credits.balance(ALICE) == 10000


async def test_someone_else_paying_an_invoice_is_declined_in_their_language(bot, emu):
    alice = await started(bot, emu)
    bob = await started(bot, emu, BOB, "Боб", "ru")
    await invoice_for(bot, alice)
    query = checkout(emu, bob, stars(emu).invoices[(ALICE, alice.messages()[-1].message_id)])
    await bot.feed()
    assert answer(emu, query) == {"ok": False, "error_message": "Этот счёт выставлен другому аккаунту; деньги не списаны. Используйте /buy."}


async def test_forged_invoices_are_declined_at_checkout(bot, emu):
    """Payloads the bot never made (markup, other scripts, bidi controls, extra parts, a huge
    count) are declined, whatever the amount."""
    alice = await started(bot, emu)
    for payload in (f"buy:small:100:2500:{ALICE}:x", f"<b>buy:small:100:2500:{ALICE}</b>", "buy:small:١٠٠:2500:42",
                    f"buy:small\u202e:100:2500:{ALICE}", f"buy:small:100:99999999999999999999:{ALICE}", "[b]x[/b]"):
        invoice = Invoice(ALICE, 0, "t", "d", payload, "XTR", 100)
        query = checkout(emu, alice, invoice)
        await bot.feed()
        assert answer(emu, query) == {"ok": False, "error_message": "This pack is no longer sold; you were not charged. "
                                                                      "Use /buy to see the current packs."}, payload
    assert Payment.select().count() == 0


async def test_refund_command_with_hostile_arguments(bot, emu):
    alice = await started(bot, emu)
    admin = await started(bot, emu, ADMIN, "Admin")
    await alice.send_text("/refund x")  # not an admin: an unknown command
    await bot.feed()
    assert last_text(alice).startswith("I don't know that command")
    for text, expected in (("/refund", "Usage: /refund CHARGE_ID reason"),
                           ("/refund <b>[x]</b> why", "Refund of <b>[x]</b> not done: No payment '<b>[x]</b>'.")):
        await admin.send_text(text)
        await bot.feed()
        assert last_text(admin).startswith(expected), last_text(admin)


async def test_an_old_pack_button_after_a_price_change_sends_no_invoice(bot, emu):
    alice = await started(bot, emu)
    await alice.send_text("/buy")
    await bot.feed()
    services = bot.app.bot_data["higgsctl"]
    services.settings = selling(services.settings, packs={"small": PackSpec("small", 150, 2500, {"en": "Starter"})})
    await alice.press("bp:small:100")
    await bot.feed()
    assert last_text(alice).startswith("That pack has changed")
    assert alice.buttons() == ["Starter: 2500 credits · 150 ⭐"]
    assert not [m for m, _ in emu.calls if m == "sendInvoice"]


async def test_forged_payment_buttons_move_nothing(bot, emu):
    alice = await started(bot, emu)
    charge = await buy(bot, emu, alice)
    payment = bot.engine.payments.get(charge)
    for data in ("bp:small", "bp:SMALL:100", "bp:small:1e2", "ps:0", "ps:٣", f"ps:{payment.id + 1}", "ps:99999999999999999999",
                 f"pr:r:{payment.id}", f"pr:d:{payment.id}", "pr:x:1", "buy:x"):
        emu.messages(ALICE)[-1].reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
        await alice.press(data)
        await bot.feed()
    assert bot.engine.payments.get(charge).status == "credited" and bot.engine.payments.get(charge).support_status is None
    assert not stars(emu).charges[charge].refunded and bot.engine.credits.balance(ALICE) == 12500


async def test_a_refund_made_outside_is_reversed_on_refunded_payment(bot, emu):
    alice = await started(bot, emu)
    charge = await buy(bot, emu, alice)
    bot.engine.generations.rows.hold(ALICE, 11000, model="nano-banana", prompt="p", aspect_ratio="1:1",
                                     idempotency_key="spent")  # 1500 left
    refund_outside(emu, charge)
    await bot.feed()
    payment = bot.engine.payments.get(charge)
    assert (payment.status, payment.taken_back, payment.shortfall) == ("refunded", 1500, 1000)
    assert bot.engine.credits.balance(ALICE) == 0
    assert "1500 of its 2500 credits were taken back" in last_text(alice)
    assert books_clean(bot)


async def test_admin_refund_returns_the_stars_and_takes_the_credits_back(bot, emu):
    alice = await started(bot, emu)
    admin = await started(bot, emu, ADMIN, "Admin")
    charge = await buy(bot, emu, alice)
    await admin.send_text(f"/refund {charge} asked nicely")
    await bot.feed()
    await bot.feed()  # the refunded_payment message Telegram sends afterwards
    assert stars(emu).charges[charge].refunded
    assert last_text(admin).startswith(f"Refunded payment #1 ({charge}) of Alice: 100 ⭐ returned, 2500 credits")
    assert bot.engine.credits.balance(ALICE) == 10000
    told = [m.text for m in alice.messages() if m.text and m.text.startswith("↩")]
    assert told == ["↩ Payment #1 was refunded: 100 ⭐ returned, 2500 credits taken back. Balance: 10000."]
    assert bot.engine.payments.get(charge).refund_reason == "asked nicely" and books_clean(bot)


async def test_admin_refund_is_refused_when_the_credits_were_spent(bot, emu):
    alice = await started(bot, emu)
    admin = await started(bot, emu, ADMIN, "Admin")
    charge = await buy(bot, emu, alice)
    bot.engine.generations.rows.hold(ALICE, 10050, model="nano-banana", prompt="p", aspect_ratio="1:1",
                                     idempotency_key="spent")
    await admin.send_text(f"/refund {charge}")
    await bot.feed()
    assert "can't be refunded" in last_text(admin)
    assert not stars(emu).charges[charge].refunded
    assert bot.engine.payments.get(charge).status == "credited" and bot.engine.credits.balance(ALICE) == 2450
    assert books_clean(bot)


async def test_paysupport_request_refunded_by_an_admin(bot, emu):
    alice = await started(bot, emu)
    admin = await started(bot, emu, ADMIN, "Admin")
    charge = await buy(bot, emu, alice)
    await alice.send_text("/paysupport")
    await bot.feed()
    assert alice.buttons()[0].startswith("#1 · ") and alice.buttons()[0].endswith("100 ⭐ → 2500 cr")
    await alice.press("ps:1")
    await bot.feed()
    assert last_text(alice).startswith("Refund request for payment #1 sent")
    assert last_text(admin).startswith("Refund request: Alice (id 42) asks to refund payment #1")
    await admin.press("pr:r:1")
    await bot.feed()
    await bot.feed()
    assert stars(emu).charges[charge].refunded and bot.engine.credits.balance(ALICE) == 10000
    assert bot.engine.payments.get(charge).support_status == "refunded"
    assert not admin.buttons() or "↩ Refund" not in admin.buttons()  # the request's buttons are gone
    emu.messages(ADMIN)[-1].reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": "pr:d:1"}]]}
    await admin.press("pr:d:1")  # an old copy of the request: a second decision
    await bot.feed()
    assert last_text(admin) == "The refund request for payment #1 was already decided."
    assert books_clean(bot)


async def test_paysupport_request_declined(bot, emu):
    alice = await started(bot, emu, lang="ru")
    admin = await started(bot, emu, ADMIN, "Admin")
    await buy(bot, emu, alice)
    await alice.send_text("/paysupport")
    await bot.feed()
    await alice.press("ps:1")
    await alice.press("ps:1")  # a double tap
    await bot.feed(concurrently=True)
    await admin.press("pr:d:1")
    await bot.feed()
    assert last_text(alice) == "Запрос на возврат платежа #1 отклонён. Написать снова: /paysupport."
    requests = [m for m in admin.messages() if any((text or "").startswith("Refund request:") for text in [*m.history, m.text])]
    assert len(requests) == 1 and requests[0].text == "Refund request for payment #1 declined by Admin."
    assert bot.engine.credits.balance(ALICE) == 12500


async def test_terms_and_switched_off_sales(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:  # Stars off: the default
        alice = await started(bot, emu)
        for command, expected in (("/terms", "Credits are bought with Telegram Stars"),
                                  ("/buy", "Buying credits is switched off")):
            await alice.send_text(command)
            await bot.feed()
            assert last_text(alice).startswith(expected)
        await alice.send_text("/balance")
        await bot.feed()
        assert "⭐ Buy credits" not in alice.buttons() and "➕ Top up" in alice.buttons()
