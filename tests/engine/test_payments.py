"""Stars payments in the engine, on SQLite and PostgreSQL: credited exactly once (the same update
twice, threads racing), refunds that never leave a user with both the Stars and the credits or
with neither, refunds made outside, and the books check."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from higgsctl.engine import InvalidInput, NotFound, RefundFailed, RefundPending, RefundRefused
from higgsctl.engine.models import LedgerEntry, Payment, database
from higgsctl.engine.packs import invoice_payload
from higgsctl.engine.payments import RefundAnswer
from higgsctl.engine.reconcile import (
    MISSED_PAYMENT, OUTSIDE_REFUND, UNFINISHED_REFUND, UNKNOWN_TO_TELEGRAM, StarTx, book_discrepancies, compare,
)



def pay(engine, charge="ch-1", user_id=1, pack="small"):
    spec = engine.settings.payments.pack(pack)
    return engine.payments.credit(charge_id=charge, user_id=user_id, payload=invoice_payload(spec, user_id),
                                  stars=spec.stars)


def balance(engine, user_id=1):
    return engine.credits.balance(user_id)


def books_clean(engine):
    return engine.credits.discrepancies() == [] and book_discrepancies() == []


def spend(engine, user_id, amount):
    """Spend credits the way a generation does (a hold), keeping the books right."""
    import uuid

    engine.generations.rows.hold(user_id, amount, model="nano-banana", prompt="p", aspect_ratio="1:1",
                                 idempotency_key=uuid.uuid4().hex)


def answers(*sequence):
    """A fake refundStarPayment: answers in order and records the calls."""
    calls = []

    async def send(user_id, charge_id):
        calls.append((user_id, charge_id))
        return sequence[len(calls) - 1]

    send.calls = calls
    return send


def test_a_payment_is_credited_once_with_its_ledger_entry(any_engine):
    any_engine.users.register(1)
    first = pay(any_engine)
    again = pay(any_engine)
    assert first.new and not again.new
    assert first.balance == again.balance == 12500 == balance(any_engine)
    entries = [(e.amount, e.reason, e.payment_id) for e in any_engine.credits.ledger(1)]
    assert entries[0] == (2500, "purchase", first.payment.id)
    assert Payment.select().count() == 1 and first.payment.status == "credited"
    assert books_clean(any_engine)


def test_threads_crediting_the_same_charge_credit_it_once(any_engine):
    any_engine.users.register(1)

    def attempt(_):
        try:
            return pay(any_engine).new
        finally:
            database.obj.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(16)))
    assert results.count(True) == 1
    assert balance(any_engine) == 12500
    assert LedgerEntry.select().where(LedgerEntry.reason == "purchase").count() == 1
    assert books_clean(any_engine)


def test_a_payload_that_is_not_ours_is_recorded_with_no_credits(any_engine):
    any_engine.users.register(1)
    credited = any_engine.payments.credit(charge_id="odd", user_id=1, payload="[b]hello[/b]", stars=5)
    assert credited.new and credited.payment.credits == 0 and balance(any_engine) == 10000
    assert books_clean(any_engine)
    with pytest.raises(InvalidInput):
        any_engine.payments.credit(charge_id="", user_id=1, payload="x", stars=5)


async def test_refund_takes_the_credits_back_then_refunds_the_stars(any_engine):
    any_engine.users.register(1)
    pay(any_engine)
    send = answers((RefundAnswer.REFUNDED, ""))
    payment = await any_engine.payments.refund("ch-1", actor="cli", reason="asked", send=send)
    assert payment.status == "refunded" and payment.taken_back == 2500 and payment.refund_origin == "higgsctl"
    assert send.calls == [(1, "ch-1")] and balance(any_engine) == 10000
    from higgsctl.engine.models import AuditEntry

    entry = AuditEntry.get(AuditEntry.target == "payment:ch-1")
    assert (entry.actor, entry.action, entry.reason, entry.after["credits_taken"]) == ("cli", "refund", "asked", 2500)
    with pytest.raises(InvalidInput) as again:
        await any_engine.payments.refund("ch-1", actor="cli", reason="again", send=send)
    assert again.value.code == "payment_refund_already" and len(send.calls) == 1
    assert books_clean(any_engine)


async def test_refund_is_refused_when_the_credits_were_spent(any_engine):
    any_engine.users.register(1)
    pay(any_engine)
    spend(any_engine, 1, 10001)  # 2499 left of the 2500 bought
    send = answers((RefundAnswer.REFUNDED, ""))
    with pytest.raises(RefundRefused) as refused:
        await any_engine.payments.refund("ch-1", actor="cli", reason="r", send=send)
    assert refused.value.code == "refund_spent" and refused.value.balance == 2499
    assert send.calls == [] and balance(any_engine) == 2499
    assert any_engine.payments.get("ch-1").status == "credited"
    assert books_clean(any_engine)


async def test_a_telegram_refusal_gives_the_credits_back(any_engine):
    any_engine.users.register(1)
    pay(any_engine)
    send = answers((RefundAnswer.REFUSED, "Bad Request: CHARGE_NOT_FOUND"))
    with pytest.raises(RefundFailed):
        await any_engine.payments.refund("ch-1", actor="cli", reason="r", send=send)
    payment = any_engine.payments.get("ch-1")
    assert payment.status == "credited" and payment.taken_back == 0 and balance(any_engine) == 12500
    assert [e.reason for e in any_engine.credits.ledger(1)][:3] == ["refund_undone", "refund", "purchase"]
    assert books_clean(any_engine)


async def test_no_answer_leaves_it_refunding_and_a_second_try_finishes_it(any_engine):
    """No answer: the credits stay taken (never both); asking again finishes (never neither)."""
    any_engine.users.register(1)
    pay(any_engine)
    with pytest.raises(RefundPending):
        await any_engine.payments.refund("ch-1", actor="cli", reason="r", send=answers((RefundAnswer.NO_ANSWER, "timed out")))
    payment = any_engine.payments.get("ch-1")
    assert payment.status == "refunding" and balance(any_engine) == 10000
    assert books_clean(any_engine)
    finished = await any_engine.payments.complete_refund(payment, answers((RefundAnswer.ALREADY_REFUNDED, "")))
    assert finished.status == "refunded" and balance(any_engine) == 10000
    assert books_clean(any_engine)


def test_a_refund_made_outside_takes_back_what_the_balance_allows(any_engine):
    any_engine.users.register(1)
    pay(any_engine)
    spend(any_engine, 1, 11500)  # 1000 left
    payload = any_engine.payments.get("ch-1").payload
    for _ in range(2):  # the same refunded_payment twice: reversed once
        payment = any_engine.payments.record_outside_refund("ch-1", user_id=1, stars=100, payload=payload)
    assert (payment.status, payment.taken_back, payment.shortfall) == ("refunded", 1000, 1500)
    assert balance(any_engine) == 0
    assert books_clean(any_engine)


def test_the_refunded_payment_message_of_our_own_refund_finishes_it_without_taking_twice(any_engine):
    any_engine.users.register(1)
    payload = pay(any_engine).payment.payload
    any_engine.payments.begin_refund("ch-1", actor="cli", reason="r")  # Telegram refunds; its message comes first
    payment = any_engine.payments.record_outside_refund("ch-1", user_id=1, stars=100, payload=payload)
    assert (payment.status, payment.taken_back, payment.refund_origin) == ("refunded", 2500, "higgsctl")
    assert any_engine.payments.finish_refund("ch-1").status == "refunded"  # then our own call returns
    assert balance(any_engine) == 10000 and books_clean(any_engine)


def test_an_outside_refund_of_a_payment_we_never_saw_is_recorded(any_engine):
    any_engine.users.register(1)
    payment = any_engine.payments.record_outside_refund("lost", user_id=1, stars=100, payload="buy:small:100:2500:1")
    assert (payment.status, payment.credits, payment.refund_origin) == ("refunded", 0, "telegram")
    assert balance(any_engine) == 10000 and books_clean(any_engine)


def test_the_books_check_sees_a_payment_without_its_ledger(any_engine):
    any_engine.users.register(1)
    pay(any_engine)
    Payment.update(credits=9999).execute()
    assert book_discrepancies() == ["payment ch-1: bought 9999 credits, purchase entries sum to 2500"]


def test_paysupport_requests_are_one_at_a_time_and_only_the_owners(any_engine):
    any_engine.users.register(1)
    any_engine.users.register(2)
    payment = pay(any_engine).payment
    with pytest.raises(NotFound):
        any_engine.payments.ask_refund(payment.id, 2)
    assert any_engine.payments.ask_refund(payment.id, 1).support_status == "pending"
    with pytest.raises(InvalidInput):
        any_engine.payments.ask_refund(payment.id, 1)
    assert any_engine.payments.decide_request(payment.id, "declined") is True
    assert any_engine.payments.decide_request(payment.id, "refunded") is False
    assert [p.id for p in any_engine.payments.refundable(1)] == [payment.id]


def test_compare_with_telegram_finds_what_differs(any_engine):
    any_engine.users.register(1)
    pay(any_engine, "kept")
    pay(any_engine, "refunded-outside")
    pay(any_engine, "interrupted")
    pay(any_engine, "unknown")
    any_engine.payments.begin_refund("interrupted", actor="cli", reason="r")
    now = datetime(2026, 1, 1)
    txs = [StarTx(c, 100, now, True, 1, "buy:small:100:2500:1") for c in ("kept", "refunded-outside", "interrupted", "missed")]
    txs += [StarTx("refunded-outside", 100, now, False, 1), StarTx("interrupted", 100, now, False, 1)]
    found = {(f.kind, f.charge_id) for f in compare(any_engine.payments.all(), txs)}
    assert found == {(MISSED_PAYMENT, "missed"), (OUTSIDE_REFUND, "refunded-outside"),
                     (UNFINISHED_REFUND, "interrupted"), (UNKNOWN_TO_TELEGRAM, "unknown")}


def test_checkout_problems(settings):
    from dataclasses import replace

    payments = replace(settings.payments, stars=True)
    small = payments.pack("small")
    good = invoice_payload(small, 7)
    assert payments.checkout_problem(good, "XTR", 100, 7) is None
    assert payments.checkout_problem(good, "XTR", 100, 8) == "not_yours"
    assert payments.checkout_problem(good, "XTR", 99, 7) == "pack_changed"
    assert payments.checkout_problem("buy:small:100:9999:7", "XTR", 100, 7) == "pack_changed"
    assert payments.checkout_problem("buy:gone:100:2500:7", "XTR", 100, 7) == "pack_gone"
    for hostile in ("", "buy", "buy:small:١٠٠:2500:7", "buy:small:100:2500:7:x", "<b>buy</b>", "buy:SMALL:100:2500:7"):
        assert payments.checkout_problem(hostile, "XTR", 100, 7) == "pack_gone", hostile
    assert replace(payments, stars=False).checkout_problem(good, "XTR", 100, 7) == "stars_off"
