"""Bot replicas share Telegram's rate (bot/send_rate.py): two real PTB bots on one database,
against an emulator that answers 429 when the bot as a whole sends faster than ~30 a second.
Sharing, they never hit it; each pacing itself as if alone, they do. When one stops, the other
takes the whole rate back."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.ext import Application

from higgsctl.bot import send_rate
from tests.fakes.telegram_emulator import TelegramEmulator
from tests.waiting import eventually

PER_REPLICA = 45


async def replica(emu: TelegramEmulator) -> Application:
    app = (Application.builder().token(emu.token).base_url(f"{emu.url}/bot").base_file_url(f"{emu.url}/file/bot")
           .rate_limiter(send_rate.SharedRateLimiter(max_retries=5)).build())
    await app.initialize()
    return app


@pytest.mark.parametrize("shared", [True, False], ids=["shared", "each-alone"])
async def test_bot_replicas_together_stay_under_telegrams_rate(engine, monkeypatch, shared):
    async with TelegramEmulator(flood_limit=send_rate.TOTAL) as emu:
        chats = [emu.user(500 + n, f"User {n}").id for n in range(10)]
        apps = [await replica(emu), await replica(emu)]
        try:
            if shared:
                for n, app in enumerate(apps):
                    monkeypatch.setenv("HIGGSCTL_PROCESS_NAME", f"replica-{n}")
                    await send_rate.start(app, engine, every=0.05)
                await eventually(lambda: all(app.bot.rate_limiter.replicas == 2 for app in apps),
                                 what="both to see two replicas")
            started = time.monotonic()
            await asyncio.gather(*(app.bot.send_message(chats[i % len(chats)], f"news {i}")
                                   for app in apps for i in range(PER_REPLICA)))
            took = time.monotonic() - started
            floods = [e for e in emu.errors if e[1] == 429]
            sent = [c for c in emu.calls if c[0] == "sendMessage"]
            if shared:
                # 90 messages: a burst of 30, then 60 at 30 a second
                assert floods == [] and len(sent) == 2 * PER_REPLICA and took >= 1.5
                await send_rate.stop(apps[0], engine)
                await eventually(lambda: apps[1].bot.rate_limiter.replicas == 1,
                                 what="the survivor to take the whole rate")
            else:
                assert floods, "two replicas at 30 a second each should have met Telegram's flood control"
        finally:
            for app in apps:
                await send_rate.stop(app, engine)
                await app.shutdown()
