"""Sends the engine's alerts (engine/alerts.py) to every admin and to the log, checking once
a minute; the restart alert is raised at start-up."""

from __future__ import annotations

import asyncio
import logging

from telegram.error import TelegramError
from telegram.ext import Application

from higgsctl.engine import Engine
from higgsctl.engine.alerts import Alert

from .background import stop_task

log = logging.getLogger("higgsctl.alerts")
EVERY = 60.0
TASK = "higgsctl-alerts"


async def start(app: Application, engine: Engine, resumed: int, every: float = EVERY) -> None:
    restart = await engine.run_db(engine.alerts.restarted, resumed)
    if restart is not None:
        await tell(app, engine, [restart])
    app.bot_data[TASK] = asyncio.create_task(_watch(app, engine, every), name=TASK)


async def _watch(app: Application, engine: Engine, every: float) -> None:
    while True:
        try:
            await tell(app, engine, await engine.run_db(engine.alerts.due))
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("alert check failed; trying again later")
        await asyncio.sleep(every)


async def tell(app: Application, engine: Engine, alerts: list[Alert]) -> None:
    for alert in alerts:
        log.warning("ALERT %s: %s", alert.kind, alert.text)
        for admin_id in engine.settings.telegram.admin_ids:
            try:
                await app.bot.send_message(admin_id, f"⚠️ {alert.text}")
            except TelegramError as exc:  # an admin who never opened the bot
                log.info("alert not delivered to admin %s: %s", admin_id, exc)


async def stop(app: Application) -> None:
    await stop_task(app, TASK)
