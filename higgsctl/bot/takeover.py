"""Several processes on one database: the bot looks, every half lease, for bot jobs nobody
drives (their process died, or stopped and handed them back) and runs them here, delivering
as usual. Its own jobs it leases from birth (engine/leases.py)."""

from __future__ import annotations

import asyncio
import logging

from telegram.ext import Application

from .background import stop_task
from .services import KEY, Services, db

log = logging.getLogger("higgsctl.bot")
TASK = "higgsctl-takeover"


def start(app: Application) -> None:
    app.bot_data[TASK] = asyncio.create_task(_watch(app.bot_data[KEY]), name=TASK)


async def _watch(services: Services) -> None:
    generations = services.engine.generations
    every = generations.leases.ttl / 2
    while True:
        await asyncio.sleep(every)
        try:
            taken = [gid for gid in await db(generations.takeable, "bot") if services.delivery.launch(gid)]
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("could not look for jobs to take over", exc_info=True)
            continue
        if taken:
            log.warning("took over %d generation(s) another process left: %s", len(taken), taken)


async def stop(app: Application) -> None:
    await stop_task(app, TASK)
