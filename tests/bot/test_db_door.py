"""The bot's ``db()`` helper runs its database work through the engine's door
(Engine.run_db), not through a thread of its own."""

from __future__ import annotations

from tests.db_spy import record_statement_threads

from .harness import ALICE, Offline, configure, last_text


async def test_bot_database_work_goes_through_the_engine_door(settings, emu, monkeypatch):
    async with Offline(configure(settings, emu), emu) as bot:
        threads = record_statement_threads(monkeypatch)
        calls = bot.engine.door.calls
        alice = emu.user(ALICE, "Alice")
        for text in ("/start", "/balance", "/history"):
            await alice.send_text(text)
            await bot.feed()
        seen = set(threads)
        assert seen == {"higgsctl-db_0"}
        assert bot.engine.users.get(ALICE).first_name == "Alice" and last_text(alice)
        assert bot.engine.door.calls > calls
