"""An admin's re-send (CLI or TUI, another process): the engine marks the delivered result
undone and the running bot's notifier sweep sends it once more — not twice, and never a
result that is not delivered yet."""

from __future__ import annotations

import pytest

from higgsctl.engine import AdminAct, AuditFilter, InvalidInput

from .harness import ALICE, Offline, configure, image
from .test_delivery_parts import kinds
from .test_robustness import finished


async def test_the_notifier_sweep_sends_a_resent_result_exactly_once_more(settings, emu):
    alice = emu.user(ALICE, "Alice")
    async with Offline(configure(settings, emu), emu) as bot:
        engine, notifier = bot.engine, bot.app.bot_data["higgsctl"].notifier
        engine.users.register(ALICE, first_name="Alice")
        gid = finished(engine, image(), "k")
        with pytest.raises(InvalidInput):  # its own delivery is still owed: no re-send yet
            engine.generations.request_resend(gid, AdminAct("cli:ops"))
        await notifier.tick()
        assert kinds(alice) == ["photo", "document"]
        engine.generations.request_resend(gid, AdminAct("cli:ops", "lost it"))
        await notifier.tick()
        await notifier.tick()  # a second sweep finds nothing left to send
        assert kinds(alice) == ["photo", "document", "photo", "document"]
        assert engine.generations.get(gid).delivered_at is not None
        [entry] = engine.audit.list(AuditFilter(action="resend"))
        assert (entry.actor, entry.reason, entry.user_id) == ("cli:ops", "lost it", ALICE)
