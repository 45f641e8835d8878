"""Helpers for the bot tests: settings pointed at the Telegram emulator and the Higgsfield
sandbox (the ``emu`` and ``sandbox`` fixtures, in conftest.py), and the real application on a
real engine, built (``Offline``) or started as `higgsctl bot run` starts it (``Running``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from dataclasses import replace

from PIL import Image
from telegram import Update

from higgsctl.bot.app import build_application, on_stop
from higgsctl.bot.runner import start_bot, stop_bot
from higgsctl.engine import Engine
from higgsctl.launch import open_engine, settings_for_sandbox
from higgsctl.sandbox import Sandbox
from tests.fakes.telegram_emulator import TelegramEmulator
from tests.waiting import eventually  # noqa: F401  (the bot tests import it from here)

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
ADMIN = 900
ALICE = 42


def image(width: int = 64, height: int = 48, color=(200, 40, 40), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def is_image(data: bytes | None) -> bool:
    try:
        with Image.open(io.BytesIO(data or b"")) as img:
            img.verify()
        return True
    except Exception:  # noqa: BLE001
        return False


def generations(bot) -> list:
    """Alice's generations, oldest first."""
    from higgsctl.engine import HistoryFilter

    return list(reversed(bot.engine.history.list(HistoryFilter(user_id=ALICE))))


def card_of(user) -> int:
    """The newest confirm card (a message with a Generate button)."""
    return next(m.message_id for m in reversed(user.messages()) if any(
        (b.get("callback_data") or "").startswith("go:") for b in m.buttons()))


def last_text(user) -> str:
    """What the bot last said in this user's chat."""
    return user.messages()[-1].text or ""


def configure(settings, emu: TelegramEmulator, sandbox: Sandbox | None = None, **telegram):
    """Settings pointed at the emulator, and at the sandbox (without one: a Higgsfield key
    for a closed port, so a job that gets that far fails without reaching anything)."""
    tg = replace(settings.telegram, token=emu.token, api_base_url=emu.url,
                 admin_ids=telegram.pop("admin_ids", (ADMIN,)), **telegram)
    settings = replace(settings, telegram=tg)
    if sandbox is not None:
        return settings_for_sandbox(settings, sandbox)
    nowhere = replace(settings.higgsfield, base_url="http://127.0.0.1:9", api_key="k", api_secret="s")
    return replace(settings, higgsfield=nowhere)


class Offline:
    """The real application, initialized and started but not polling: tests feed it real
    ``Update`` objects built with ``Update.de_json`` from what the emulated users did."""

    def __init__(self, settings, emu: TelegramEmulator):
        self.settings, self.emu = settings, emu
        self.engine: Engine | None = None
        self.app = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> "Offline":
        self.engine = await self._stack.enter_async_context(open_engine(self.settings))
        self.app = build_application(self.settings, self.engine, notifier_interval=60, album_delay=0.2)
        await self.app.initialize()
        await self.app.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await on_stop(self.app)
        await self.app.stop()
        await self.app.shutdown()
        await self._stack.aclose()

    async def feed(self, *, concurrently: bool = False) -> int:
        """Process every update the emulated users produced (one after the other, or all at
        once as concurrent_updates allows), including the texts the bot collects for a short
        while (a paste in parts); returns how many."""
        raw = self.emu.pending_updates()
        if raw:  # confirm them with the server, as polling would
            await self.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
        updates = [Update.de_json(data, self.app.bot) for data in raw]
        if concurrently:
            await asyncio.gather(*(self.app.process_update(u) for u in updates))
        else:
            for update in updates:
                await self.app.process_update(update)
        await self.settle(albums=False)
        return len(raw)

    async def settle(self, *, albums: bool = True) -> None:
        """Wait for background work started by handlers (collected texts; album flushes)."""
        services = self.app.bot_data["higgsctl"]
        buffers = [*services.pastes.values(), *(services.albums.values() if albums else ())]
        timers = [b.timer for b in buffers if b.timer is not None]
        await asyncio.gather(*timers, return_exceptions=True)


class Running:
    """The application exactly as `higgsctl bot run` starts it (start_bot), polling the emulator."""

    def __init__(self, settings):
        self.settings = settings
        self.engine: Engine | None = None
        self.app = None
        self._stack = contextlib.AsyncExitStack()

    async def start(self) -> "Running":
        self.engine = await self._stack.enter_async_context(open_engine(self.settings))
        self.app = await start_bot(self.settings, self.engine, notifier_interval=0.2, album_delay=0.3)
        self.services.delivery.retry_base = 0.1
        return self

    @property
    def services(self):
        return self.app.bot_data["higgsctl"]

    async def stop(self) -> None:
        if self.app is not None:
            await stop_bot(self.app)
            self.app = None
        await self._stack.aclose()
        self.engine = None
