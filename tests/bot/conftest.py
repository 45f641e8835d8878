"""Fixtures of the bot tests: the Telegram Bot API emulator and the Higgsfield sandbox.
Helpers (settings for both, the real application built or started) are in harness.py."""

from __future__ import annotations

import pytest

from higgsctl.launch import sandbox_options
from higgsctl.sandbox import Sandbox
from tests.fakes.telegram_emulator import TelegramEmulator

from .harness import TOKEN


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
