"""The bot's own background loops (heartbeat, alerts, takeover) keep their task in
``app.bot_data`` under a key; stopping one is the same everywhere."""

from __future__ import annotations

import asyncio
import contextlib

from telegram.ext import Application


async def stop_task(app: Application, key: str) -> bool:
    """Cancel the task stored under ``key`` and wait for it; False if there was none."""
    task = app.bot_data.pop(key, None)
    if task is None:
        return False
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return True
