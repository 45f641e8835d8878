"""The running bot keeps its heartbeat row fresh and marks a clean stop."""

from higgsctl.bot import heartbeat
from higgsctl.engine import Engine

from .harness import Running, configure, eventually


async def test_the_bot_beats_while_it_runs_and_says_when_it_stopped(settings, emu, monkeypatch):
    original = heartbeat.start

    async def start_fast(app, engine, every=heartbeat.EVERY):
        await original(app, engine, every=0.05)

    monkeypatch.setattr(heartbeat, "start", start_fast)
    bot = await Running(configure(settings, emu)).start()
    try:
        first = bot.engine.heartbeats.get("bot")
        assert first is not None and first.up()
        await eventually(lambda: bot.engine.heartbeats.get("bot").beat_at > first.beat_at)
    finally:
        await bot.stop()
    engine = Engine(bot.settings)
    try:
        beat = engine.heartbeats.get("bot")
        assert beat.stopped_at is not None and not beat.up()
    finally:
        engine.close()
