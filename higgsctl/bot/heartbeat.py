"""The bot's heartbeat row (engine/heartbeat.py): written at start, every EVERY seconds while
it runs and at a clean stop, so the dashboard in another process says whether the bot is up."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.ext import Application

from higgsctl.engine import Engine
from higgsctl.engine.heartbeat import EVERY

from .background import stop_task

log = logging.getLogger("higgsctl.bot")
NAME = "bot"
TASK = "higgsctl-heartbeat"


async def start(app: Application, engine: Engine, every: float = EVERY) -> None:
    await engine.run_db(engine.heartbeats.started, NAME)
    app.bot_data[TASK] = asyncio.create_task(_beat(engine, every), name=TASK)


async def _beat(engine: Engine, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await engine.run_db(engine.heartbeats.beat, NAME)
        except Exception as exc:  # a busy or briefly missing database: the next beat tries again
            log.warning("heartbeat not written: %s", exc)


async def stop(app: Application, engine: Engine) -> None:
    if not await stop_task(app, TASK):
        return
    with contextlib.suppress(Exception):
        await engine.run_db(engine.heartbeats.stopped, NAME)
