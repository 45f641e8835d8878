"""`higgsctl payments`: refunds and reconciliation against the Telegram Bot API emulator (served
on its own thread), with a real SQLite file."""

from __future__ import annotations

import pytest

from higgsctl.engine import Engine, load_settings
from higgsctl.engine.reconcile import book_discrepancies
from tests.fakes.emulator_payments import paid_without_the_bot, refund_outside, stars
from tests.fakes.emulator_thread import configured_emulator

ALICE = 42


@pytest.fixture
def telegram(write_config):
    with configured_emulator(write_config) as emu:
        yield emu


@pytest.fixture
def engine(telegram):
    eng = Engine(load_settings())
    eng.users.register(ALICE, first_name="Alice")
    yield eng
    eng.close()


def paid_at_telegram(emu, user_id=ALICE) -> str:
    """Alice pays 100 Stars for the small pack; the bot's update is lost (nobody polls)."""
    return emu.on_loop(paid_without_the_bot, emu, emu.user(user_id, "Alice"), f"buy:small:100:2500:{user_id}", 100)


def paid(emu, engine, user_id=ALICE) -> str:
    """Paid at Telegram and credited here (the bot saw the update)."""
    charge = paid_at_telegram(emu, user_id)
    engine.payments.credit(charge_id=charge, user_id=user_id, payload=f"buy:small:100:2500:{user_id}", stars=100)
    return charge


def test_refund_from_the_cli_returns_the_stars_and_takes_the_credits_back(cli, telegram, engine):
    charge = paid(telegram, engine)
    refused = cli("payments", "refund", charge, "--reason", "asked")  # no terminal, no --yes
    assert refused.exit_code == 2 and not stars(telegram).charges[charge].refunded
    result = cli("payments", "refund", charge, "--reason", "asked", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Refunded {charge}: 100 Stars returned, 2500 credits taken back.\n"
    assert stars(telegram).charges[charge].refunded
    assert engine.credits.balance(ALICE) == 10000 and engine.payments.get(charge).status == "refunded"
    again = cli("payments", "refund", charge, "--reason", "asked", "--yes")
    assert again.exit_code == 2 and "already refunded" in again.stderr
    assert engine.credits.discrepancies() == [] and book_discrepancies() == []


def test_refund_is_refused_when_the_credits_were_spent(cli, telegram, engine):
    charge = paid(telegram, engine)
    engine.generations.rows.hold(ALICE, 10001, model="nano-banana", prompt="p", aspect_ratio="1:1", idempotency_key="k")
    result = cli("payments", "refund", charge, "--reason", "asked", "--yes")
    assert result.exit_code == 5 and "were spent" in result.stderr
    assert not stars(telegram).charges[charge].refunded and engine.credits.balance(ALICE) == 2499


def test_a_telegram_refusal_gives_the_credits_back(cli, telegram, engine):
    engine.payments.credit(charge_id="stxNotAtTelegram", user_id=ALICE, payload="buy:small:100:2500:42", stars=100)
    result = cli("payments", "refund", "stxNotAtTelegram", "--reason", "r", "--yes")
    assert result.exit_code == 4 and "charge_not_found" in result.stderr.lower()
    assert engine.payments.get("stxNotAtTelegram").status == "credited" and engine.credits.balance(ALICE) == 12500
    assert book_discrepancies() == []


def test_reconcile_credits_a_payment_whose_update_was_dropped(cli, telegram, engine):
    kept = paid(telegram, engine)
    dropped = paid_at_telegram(telegram)
    report = cli("payments", "reconcile")  # no terminal: reports, fixes nothing
    assert report.exit_code == 1
    assert "missed_payment" in report.stdout and dropped in report.stdout and kept not in report.stdout
    assert engine.credits.balance(ALICE) == 12500
    fixed = cli("payments", "reconcile", "--yes")
    assert fixed.exit_code == 1 and "fixed: 1" in fixed.stdout
    assert engine.payments.get(dropped).status == "credited" and engine.credits.balance(ALICE) == 15000
    clean = cli("payments", "reconcile")
    assert clean.exit_code == 0 and "Off: 0" in clean.stdout
    assert engine.credits.discrepancies() == [] and book_discrepancies() == []


def test_reconcile_reverses_a_refund_made_outside_and_pages_through_everything(cli, telegram, engine):
    charges = [paid(telegram, engine) for _ in range(3)]
    dropped = [paid_at_telegram(telegram) for _ in range(120)]  # more than one page of 100
    telegram.on_loop(refund_outside, telegram, charges[0])  # its refunded_payment update: nobody polls
    result = cli("payments", "reconcile", "--yes")
    assert result.exit_code == 1
    assert "Telegram: 123 payment(s), 1 refund(s). Here: 3 payment(s). Off: 121; fixed: 121." in result.stdout
    assert engine.payments.get(charges[0]).status == "refunded"
    assert engine.credits.balance(ALICE) == 10000 + 2 * 2500 + len(dropped) * 2500
    assert book_discrepancies() == []


def test_payments_list(cli, telegram, engine):
    charge = paid(telegram, engine)
    rows = cli("payments", "list", "--user", str(ALICE), "--json").json()["payments"]
    assert [(r["charge_id"], r["stars"], r["credits"], r["status"]) for r in rows] == [(charge, 100, 2500, "credited")]
    assert cli("payments", "list").stdout.count(charge) == 1


def test_refund_and_reconcile_need_the_bot_token(cli, write_config):
    write_config("[payments]\nstars = true\n")
    for args in (("refund", "x", "--reason", "r", "--yes"), ("reconcile",)):
        result = cli("payments", *args)
        assert result.exit_code == 3 and "No bot token" in result.stderr


def test_a_refund_telegram_never_answered_is_finished_by_reconcile(cli, telegram, engine):
    charge = paid(telegram, engine)
    telegram.fail_next("refundStarPayment", error_code=500, description="Internal Server Error")
    lost = cli("payments", "refund", charge, "--reason", "r", "--yes")
    assert lost.exit_code == 4 and "No answer from Telegram" in lost.stderr
    # never both: the credits are taken back while the outcome is unknown
    assert engine.payments.get(charge).status == "refunding" and engine.credits.balance(ALICE) == 10000
    result = cli("payments", "reconcile", "--yes")
    assert result.exit_code == 1 and "unfinished_refund" in result.stdout and "fixed: 1" in result.stdout
    # never neither: the Stars went back too
    assert stars(telegram).charges[charge].refunded and engine.payments.get(charge).status == "refunded"
    assert book_discrepancies() == [] and cli("payments", "reconcile").exit_code == 0


def test_a_refund_interrupted_after_telegram_did_it_is_finished_by_reconcile(cli, telegram, engine):
    charge = paid(telegram, engine)
    engine.payments.begin_refund(charge, actor="cli", reason="crashed")  # then the process died...
    telegram.on_loop(refund_outside, telegram, charge)  # ...after Telegram had refunded
    result = cli("payments", "reconcile", "--yes")
    assert result.exit_code == 1 and "fixed: 1" in result.stdout
    assert engine.payments.get(charge).status == "refunded" and engine.credits.balance(ALICE) == 10000
    assert book_discrepancies() == []


def test_db_status_checks_payments_against_the_ledger(cli, telegram, engine):
    paid(telegram, engine)
    assert cli("db", "status").exit_code == 0
    from higgsctl.engine.models import Payment

    Payment.update(credits=3000).execute()
    broken = cli("db", "status")
    assert broken.exit_code == 1 and "bought 3000 credits, purchase entries sum to 2500" in broken.stdout
