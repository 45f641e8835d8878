"""A spending press is charged once across restarts and replicas: Telegram delivers the same
callback query again (the bot died before the offset moved on; a webhook retry reached another
replica), and the process handling it again no longer remembers it. The hold is keyed on the
press, so the repeat holds nothing and says nothing: no second status message, no error."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from telegram import Update

from higgsctl.bot.app import build_application, on_stop
from higgsctl.engine import User
from higgsctl.engine.models import LedgerEntry

from .harness import ALICE, Offline, card_of, configure, eventually, generations

STARTING = "Starting a new generation like"


@pytest.fixture
def configured(settings, emu, sandbox):
    return configure(settings, emu, sandbox)


async def delivered(bot, count: int) -> None:
    await eventually(lambda: len(generations(bot)) == count and all(g.delivered_at for g in generations(bot)),
                     timeout=30)


async def first_result(bot, alice, *, confirm_repeats: bool = False) -> int:
    """One delivered result to repeat (its buttons: rg, oa); repeats spend without a card."""
    await alice.send_text("a fox")
    await bot.feed()
    await alice.press("go")
    await bot.feed()
    await delivered(bot, 1)
    User.update(confirm_repeats=confirm_repeats).where(User.id == ALICE).execute()
    return generations(bot)[0].id


async def pressed(bot, alice, button: str, **where) -> dict:
    """Press ``button`` and hand the update to ``bot``; the raw update, to deliver again."""
    await alice.press(button, **where)
    [raw] = bot.emu.pending_updates()
    await bot.app.bot.get_updates(offset=raw["update_id"] + 1, timeout=0)
    await deliver(bot.app, raw)
    return raw


async def deliver(app, raw: dict) -> None:
    await app.process_update(Update.de_json(raw, app.bot))


def forget_presses(bot) -> None:
    """What a restarted process or another replica does not have: this process's memory of presses."""
    bot.app.user_data[ALICE].pop("queries", None)
    bot.app.user_data[ALICE].pop("presses", None)


def chat(emu) -> list[tuple]:
    """Everything the bot ever sent in the chat (deleted too), with how often it was edited."""
    return [(m.message_id, m.kind, m.text, m.edits, m.deleted) for m in emu.messages(ALICE, include_deleted=True)]


def holds() -> int:
    return LedgerEntry.select().where((LedgerEntry.reason == "hold") & (LedgerEntry.user_id == ALICE)).count()


def statuses(emu) -> int:
    """Status messages of repeats ever drawn (the status becomes the result photo later)."""
    return sum(any(STARTING in (text or "") for text in (m.text, *m.history))
               for m in emu.messages(ALICE, include_deleted=True))


async def regenerated(bot, alice) -> dict:
    """A result, regenerated (no card) and delivered too; the Regenerate press's raw update."""
    first = await first_result(bot, alice)
    raw = await pressed(bot, alice, f"rg:{first}")
    await delivered(bot, 2)
    return raw


def charged_once(bot, emu, before: list[tuple]) -> None:
    assert chat(emu) == before and statuses(emu) == 1
    assert len(generations(bot)) == 2 and holds() == 2 and bot.engine.credits.balance(ALICE) == 10000 - 100


async def test_a_regenerate_press_delivered_again_to_a_process_that_forgot_it_charges_once(configured, emu):
    async with Offline(configured, emu) as bot:
        raw = await regenerated(bot, emu.user(ALICE, "Alice"))
        before = chat(emu)
        forget_presses(bot)
        await deliver(bot.app, raw)  # back to back
        charged_once(bot, emu, before)


async def test_a_regenerate_press_delivered_again_after_a_restart_charges_once(configured, emu):
    async with Offline(configured, emu) as bot:
        raw = await regenerated(bot, emu.user(ALICE, "Alice"))
    before = chat(emu)
    async with Offline(configured, emu) as bot:  # the same SQLite file, a new process's memory
        await deliver(bot.app, raw)
        charged_once(bot, emu, before)


async def test_a_ratio_of_other_aspect_delivered_again_after_a_restart_charges_once(configured, emu):
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        first = await first_result(bot, alice)
        await pressed(bot, alice, f"oa:{first}")
        raw = await pressed(bot, alice, f"ra:{first}:16:9")
        await delivered(bot, 2)
    before = chat(emu)
    async with Offline(configured, emu) as bot:
        await deliver(bot.app, raw)
        assert chat(emu) == before
        assert [g.aspect_ratio for g in generations(bot)] == ["1:1", "16:9"] and holds() == 2


async def test_generate_on_a_card_delivered_again_after_a_restart_charges_once(configured, emu):
    """The card's draft is claimed by the first press; the hold is keyed on the press too."""
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        await alice.send_text("three foxes")
        await bot.feed()
        await alice.press("n:3")
        await bot.feed()
        raw = await pressed(bot, alice, "go", message_id=card_of(alice))
        await delivered(bot, 3)
    before = chat(emu)
    async with Offline(configured, emu) as bot:
        await deliver(bot.app, raw)
        assert chat(emu) == before
        assert len(generations(bot)) == 3 and holds() == 3 and bot.engine.credits.balance(ALICE) == 10000 - 150
        assert [g.origin_key for g in generations(bot)] == [f"cb:{raw['callback_query']['id']}{n}"
                                                            for n in ("", "#2", "#3")]


@contextlib.asynccontextmanager
async def replica(bot: Offline):
    """A second bot application on the same database (it shares this test's engine): what a
    webhook replica remembers of presses is its own."""
    app = build_application(bot.settings, bot.engine, notifier_interval=60, album_delay=0.2)
    await app.initialize()
    await app.start()
    try:
        yield app
    finally:
        await on_stop(app)
        await app.stop()
        await app.shutdown()


@pytest.mark.parametrize("button", ["rg", "ra"])
async def test_the_same_press_reaching_two_replicas_at_once_charges_once_with_one_status(configured, emu, button):
    """Both replicas may draw a status message before either holds: the one refused deletes
    its own (a ratio's status is the pressed menu itself, the one that won keeps it)."""
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot, replica(bot) as other:
        first = await first_result(bot, alice)
        if button == "ra":
            await pressed(bot, alice, f"oa:{first}")
        last = alice.messages()[-1].message_id
        await alice.press(f"rg:{first}" if button == "rg" else f"ra:{first}:16:9")
        [raw] = emu.pending_updates()
        await asyncio.gather(deliver(bot.app, raw), deliver(other, raw))
        await delivered(bot, 2)
        assert holds() == 2 and bot.engine.credits.balance(ALICE) == 10000 - 100
        status = generations(bot)[1].status_message_id
        new = [(m.message_id == status, m.kind) for m in alice.messages() if m.message_id > last]
        assert new == ([(True, "photo"), (False, "document")] if button == "rg" else [(False, "document")])


async def test_generate_reaching_two_replicas_at_once_starts_one_generation(configured, emu):
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot, replica(bot) as other:
        await alice.send_text("one fox")
        await bot.feed()
        await alice.press("go")
        [raw] = emu.pending_updates()
        await asyncio.gather(deliver(bot.app, raw), deliver(other, raw))
        await delivered(bot, 1)
        assert holds() == 1 and bot.engine.credits.balance(ALICE) == 10000 - 50
        assert not any("expired" in (m.text or "") for m in alice.messages())
