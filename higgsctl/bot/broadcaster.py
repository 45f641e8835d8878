"""Sends broadcasts (engine/broadcasts.py) from the bot process: one at a time, oldest first,
paced at ``[telegram] broadcast_rate`` messages a second on top of PTB's rate limiter, in
batches claimed from the database, so a pause or cancel takes effect within a batch and a
restart never sends anyone the message twice. Admins get the report when one is done."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application

from higgsctl.engine import Engine
from higgsctl.engine.models import Broadcast

from .texts import admin

log = logging.getLogger("higgsctl.bot.broadcast")
IDLE = 2.0  # seconds between two looks for a broadcast to send


class Broadcaster:
    def __init__(self, app: Application, engine: Engine, *, idle: float = IDLE) -> None:
        self.app, self.engine, self.idle = app, engine, idle
        tg = engine.settings.telegram
        self.rate, self.paid_allowed = tg.broadcast_rate, tg.allow_paid_broadcasts
        self.admin_ids = tg.admin_ids
        self._task: asyncio.Task | None = None
        self.wake = asyncio.Event()

    async def start(self) -> None:
        left = await self.engine.run_db(self.engine.broadcasts.recover)
        if left:
            log.warning("broadcasts: %d recipient(s) were mid-send when the bot stopped; not sent again", left)
        self._task = asyncio.create_task(self._run(), name="higgsctl-broadcaster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                broadcast = await self.engine.run_db(self.engine.broadcasts.next_open)
                if broadcast is not None and await self._send_batch(broadcast):
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup: look again later
                log.exception("broadcast loop failed; retrying")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.idle):
                    await self.wake.wait()
            self.wake.clear()

    async def _send_batch(self, broadcast: Broadcast) -> bool:
        """Send one claimed batch; False when there was nothing left (the report is sent)."""
        broadcasts = self.engine.broadcasts
        batch = await self.engine.run_db(broadcasts.claim, broadcast.id)
        if not batch:
            report = await self.engine.run_db(broadcasts.report, broadcast.id)
            if report.broadcast.status == "done":
                await self._announce(report)
            return False
        loop = asyncio.get_running_loop()
        gap = 1 / (max(self.rate, 1000.0) if broadcast.paid and self.paid_allowed else self.rate)
        next_at = loop.time()
        for recipient_id, user_id in batch:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            next_at = max(next_at, loop.time()) + gap
            await self._send_one(broadcast, recipient_id, user_id)
        return True

    async def _send_one(self, broadcast: Broadcast, recipient_id: int, user_id: int) -> None:
        broadcasts, run = self.engine.broadcasts, self.engine.run_db
        try:
            message = await self._deliver(broadcast, user_id)
        except Forbidden:
            await run(broadcasts.blocked, recipient_id, user_id)
        except RetryAfter:  # refused before sending, after the limiter's own retries
            await run(broadcasts.unclaim, recipient_id)
        except (TimedOut, NetworkError) as exc:  # it may have arrived: never sent twice
            await run(broadcasts.unknown, recipient_id, str(exc))
        except (BadRequest, TelegramError) as exc:
            await run(broadcasts.failed, recipient_id, str(exc))
        except Exception as exc:  # not sent (the photo's file gone, ...): failed, not left mid-send for good
            log.warning("broadcast #%s to %s not sent: %s: %s", broadcast.id, user_id, type(exc).__name__, exc)
            await run(broadcasts.failed, recipient_id, f"{type(exc).__name__}: {exc}")
        else:
            await run(broadcasts.sent, recipient_id)
            if broadcast.photo and not broadcast.photo_file_id and message.photo:
                broadcast.photo_file_id = message.photo[-1].file_id
                await run(broadcasts.remember_photo, broadcast.id, broadcast.photo_file_id)

    async def _deliver(self, broadcast: Broadcast, user_id: int) -> Message:
        bot = self.app.bot
        extra = {"allow_paid_broadcast": True} if broadcast.paid and self.paid_allowed else {}
        if not broadcast.photo:
            return await bot.send_message(user_id, broadcast.text, **extra)
        photo = broadcast.photo_file_id
        if photo is None:
            path = self.engine.broadcasts.photo_path(broadcast)
            photo = InputFile(await asyncio.to_thread(path.read_bytes), filename=path.name)
        return await bot.send_photo(user_id, photo, caption=broadcast.text, **extra)

    async def _announce(self, report) -> None:
        counts = report.counts
        text = admin("broadcast_done", id=report.broadcast.id, sent=counts["sent"], blocked=counts["blocked"],
                     failed=counts["failed"], unknown=counts["unknown"], total=report.total)
        for admin_id in self.admin_ids:
            with contextlib.suppress(TelegramError):
                await self.app.bot.send_message(admin_id, text)
