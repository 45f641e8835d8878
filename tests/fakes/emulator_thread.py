"""The emulator served from its own event loop on a thread, for synchronous callers (the CLI
under CliRunner, the TUI's worker threads): ``with threaded_emulator(token) as emu``, and
``emu.on_loop(fn, *args)`` runs ``fn`` on the emulator's loop (its state is not thread-safe)."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Iterator

from .telegram_emulator import TelegramEmulator


async def _call(fn, *args):
    return fn(*args)


@contextmanager
def threaded_emulator(token: str) -> Iterator[TelegramEmulator]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    emu = TelegramEmulator(token=token)
    asyncio.run_coroutine_threadsafe(emu.start(), loop).result(timeout=10)
    emu.on_loop = lambda fn, *args: asyncio.run_coroutine_threadsafe(_call(fn, *args), loop).result(timeout=10)
    try:
        yield emu
    finally:
        asyncio.run_coroutine_threadsafe(emu.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@contextmanager
def configured_emulator(write_config, token: str = "123456:CFG-token-abcdefghijklmnopqrstuvwxyz") -> Iterator[TelegramEmulator]:
    """``threaded_emulator`` with a higgsctl config (the tests' ``write_config``) pointing the bot
    token and Bot API URL at it, Stars payments on."""
    with threaded_emulator(token) as emu:
        write_config(f'[telegram]\ntoken = "{token}"\napi_base_url = "{emu.url}"\n[payments]\nstars = true\n')
        yield emu
