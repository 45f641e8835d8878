"""Telegram's send rate belongs to the bot, not to one process: about 30 messages a second in
all (https://core.telegram.org/bots/faq, "My bot is hitting limits"). Bot replicas (webhook
mode behind a proxy) split it evenly: each keeps a heartbeat row ``sender:<process>``, beaten
every ``EVERY`` seconds, and paces its calls to chats at ``TOTAL / replicas with a fresh row``.
A replica that stops cleanly leaves at once; one that dies gives its share back once its row
goes stale (``FRESH``); until then the others send less, never more. PTB's AIORateLimiter
keeps doing the rest (429 retries after ``retry_after``, group pacing)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aiolimiter import AsyncLimiter
from telegram.ext import AIORateLimiter, Application

from higgsctl.engine import Engine
from higgsctl.engine.leases import process_name

from .background import stop_task

log = logging.getLogger("higgsctl.bot")
TOTAL = 30.0  # messages a second, for the whole bot
EVERY = 5.0
FRESH = timedelta(seconds=3 * EVERY)
PREFIX = "sender:"
TASK = "higgsctl-send-share"
NAME = "higgsctl-sender-name"


class SharedRateLimiter(AIORateLimiter):
    def __init__(self, total: float = TOTAL, *, max_retries: int = 5) -> None:
        super().__init__(overall_max_rate=0, max_retries=max_retries)  # the overall pace is ours
        self.total = total
        self.replicas = 0
        self.share(1)

    def share(self, replicas: int) -> None:
        """Pace this process at its share of the bot's rate among ``replicas`` processes."""
        replicas = max(1, replicas)
        if replicas == self.replicas:
            return
        self.replicas = replicas
        rate = self.total / replicas
        self._pace = AsyncLimiter(rate, 1) if rate >= 1 else AsyncLimiter(1, 1 / rate)
        log.info("sending at %.1f messages a second (%d bot process(es) share %.0f)", rate, replicas, self.total)

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        if data.get("chat_id") is not None:  # what Telegram counts; getUpdates, answers... are free
            await self._pace.acquire()
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


async def start(app: Application, engine: Engine, every: float = EVERY, fresh: timedelta = FRESH) -> None:
    limiter = app.bot.rate_limiter
    if not isinstance(limiter, SharedRateLimiter):
        return
    name = app.bot_data[NAME] = PREFIX + process_name("bot", unique=True)
    await engine.run_db(engine.heartbeats.started, name)
    limiter.share(await engine.run_db(engine.heartbeats.live, PREFIX, fresh))
    app.bot_data[TASK] = asyncio.create_task(_keep_share(engine, limiter, name, every, fresh), name=TASK)


async def _keep_share(engine: Engine, limiter: SharedRateLimiter, name: str, every: float, fresh: timedelta) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await engine.run_db(engine.heartbeats.beat, name)
            limiter.share(await engine.run_db(engine.heartbeats.live, PREFIX, fresh))
        except Exception as exc:  # a busy database: keep the share we have, look again
            log.warning("could not count the bot processes sharing Telegram's rate: %s", exc)


async def stop(app: Application, engine: Engine) -> None:
    if not await stop_task(app, TASK):
        return
    with contextlib.suppress(Exception):
        await engine.run_db(engine.heartbeats.stopped, app.bot_data.pop(NAME))
