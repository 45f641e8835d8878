"""The payments screen: Stars revenue, the list, and a refund (reason, confirmation, then
refundStarPayment at the Bot API emulator) that takes the credits back, or is refused."""

from __future__ import annotations

import pytest

from higgsctl.engine import load_settings
from higgsctl.engine.reconcile import book_discrepancies
from higgsctl.tui.screens.dialogs import ConfirmDialog
from higgsctl.tui.screens.payments import PaymentsScreen, ReasonDialog
from higgsctl.tui.widgets.payments_table import PaymentsTable
from tests.fakes.emulator_payments import paid_without_the_bot, stars
from tests.fakes.emulator_thread import configured_emulator

ALICE = 42


@pytest.fixture
def telegram(write_config):
    with configured_emulator(write_config) as emu:
        yield emu


@pytest.fixture
def settings(telegram):  # the engine the TUI runs on reads the config the emulator wrote
    return load_settings()


def paid(telegram, engine, name="Alice [b]bold[/b]") -> str:
    engine.users.register(ALICE, first_name=name)
    payload = f"buy:small:100:2500:{ALICE}"
    charge = telegram.on_loop(paid_without_the_bot, telegram, telegram.user(ALICE, name), payload, 100)
    engine.payments.credit(charge_id=charge, user_id=ALICE, payload=payload, stars=100)
    return charge


async def open_payments(h) -> tuple[PaymentsScreen, PaymentsTable]:
    await h.press("6")
    screen = h.app.screen
    assert isinstance(screen, PaymentsScreen)
    return screen, screen.query_one("#payments", PaymentsTable)


async def test_refund_from_the_payments_screen(tui, engine, telegram):
    charge = paid(telegram, engine)
    async with tui() as h:
        screen, table = await open_payments(h)
        assert "Stars paid (refunded): today 100 ⭐ (0) · 7 days 100 ⭐ (0) · 30 days 100 ⭐ (0)" in h.text() and "Alice [b]bold[/b]" in h.text()
        await h.press("f")
        assert isinstance(h.app.screen, ReasonDialog)
        await h.press(*"asked", "enter")
        assert isinstance(h.app.screen, ConfirmDialog)
        assert h.app.screen.question == ("Refund payment #1: return 100 Stars to Alice [b]bold[/b] "
                                         "and take back 2,500 credits?")
        await h.press("y")
        await h.until(lambda: engine.payments.get(charge).status == "refunded", what="the refund")
        await h.until(lambda: screen.payments["1"].status == "refunded", what="the list")
        assert "30 days 100 ⭐ (100)" in h.text()
        await h.press("f")  # refunded already: a warning, no dialog
        assert isinstance(h.app.screen, PaymentsScreen) and not h.errors()
    assert stars(telegram).charges[charge].refunded
    assert engine.credits.balance(ALICE) == 10000 and engine.payments.get(charge).refunded_by.startswith("tui:")
    assert book_discrepancies() == []


async def test_a_refund_of_spent_credits_is_refused_with_nothing_moved(tui, engine, telegram):
    charge = paid(telegram, engine)
    engine.generations.rows.hold(ALICE, 12000, model="nano-banana", prompt="p", aspect_ratio="1:1", idempotency_key="k")
    async with tui() as h:
        await open_payments(h)
        await h.press("f", *"r", "enter", "y")
        await h.until(lambda: h.errors(), what="the refusal")
        assert "were spent" in h.errors()[0]
    assert not stars(telegram).charges[charge].refunded and engine.payments.get(charge).status == "credited"
