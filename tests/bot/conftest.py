"""Fixtures of the bot tests: the Telegram Bot API emulator, the Higgsfield sandbox, and the
real application on them: ``bot`` built and fed updates (``Offline``; a test module with other
needs defines its own ``bot``), ``live`` started as `higgsctl bot run` starts it. Helpers are
in harness.py."""

from __future__ import annotations

import pytest

from higgsctl.launch import sandbox_options
from higgsctl.sandbox import Sandbox
from tests.fakes.telegram_emulator import TelegramEmulator

from .harness import TOKEN, Offline, Running, configure


@pytest.fixture
async def emu():
    emulator = TelegramEmulator(token=TOKEN)
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def sandbox(settings):
    async with Sandbox(sandbox_options(settings, service_time=0.5)) as sb:
        yield sb


@pytest.fixture
async def bot(settings, emu):
    async with Offline(configure(settings, emu), emu) as offline:
        yield offline


@pytest.fixture
async def live(settings, emu, sandbox):
    running = await Running(configure(settings, emu, sandbox)).start()
    yield running
    await running.stop()
