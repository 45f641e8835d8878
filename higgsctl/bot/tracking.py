"""The generations this process follows: one record each (where its status message is, what
it shows, its progress drawing, its delivery), the status message edits, the background
tasks, and a count of our Telegram calls in flight.

Only what lives as long as the process is here; what must survive a restart (the status
message's id, which parts of a result arrived) is in the engine's database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from higgsctl.engine import Engine

from .services import db

if TYPE_CHECKING:
    from .progress import Drawing

log = logging.getLogger("higgsctl.bot.delivery")


@dataclass
class Target:
    chat_id: int
    message_id: int | None
    lang: str


@dataclass
class Tracked:
    """One followed generation."""

    target: Target | None = None  # where its status message is (looked up once)
    shown: str | None = None  # the status message's text as last edited
    drawing: Drawing | None = None  # its progress task, while it runs
    delivering: bool = False  # a delivery of it is under way in this process
    recheck: bool = False  # a delivery found it busy: the one under way looks again before it stops
    lead: int | None = None  # the first generation of its batch (None: a single image)
    batch: tuple[int, ...] = ()  # on a batch's lead: every generation of the batch
    failures: int = 0  # failed deliveries so far
    retry_at: float = -math.inf  # loop time from which the sweep may retry its delivery


class Tracker:
    def __init__(self, app: Application, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.stopping = False
        self.records: dict[int, Tracked] = {}
        self.tasks: set[asyncio.Task] = set()
        self.busy = 0  # our Telegram calls in flight (waiting in the rate limiter or on the wire)

    def record(self, generation_id: int) -> Tracked:
        return self.records.setdefault(generation_id, Tracked())

    def forget(self, generation_id: int) -> None:
        self.records.pop(generation_id, None)

    def spawn(self, coro, name: str) -> asyncio.Task:
        # Application.create_task routes errors to the error handler, but only while running.
        if self.app.running:
            task = self.app.create_task(coro, name=name)
        else:
            task = asyncio.create_task(self._logged(coro), name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def _logged(self, coro) -> None:
        try:
            await coro
        except Exception as exc:
            log.error("background delivery task failed", exc_info=exc)

    @contextlib.contextmanager
    def calling(self) -> Iterator[None]:
        """Count a Telegram call as in flight while it runs."""
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1

    async def target(self, generation_id: int) -> Target | None:
        record = self.record(generation_id)
        if record.target is None:
            generation = await db(self.engine.generations.get, generation_id)
            if generation.chat_id is None:
                return None
            user = await db(self.engine.users.get, generation.user_id)
            record.target = Target(generation.chat_id, generation.status_message_id, user.language)
        return record.target

    async def learn_batch(self, generation_id: int) -> None:
        """Note which batch a generation belongs to (its progress and delivery go through the
        batch's first generation); a single image reads nothing more."""
        record = self.record(generation_id)
        if record.lead is not None:
            return
        generation = await db(self.engine.generations.get, generation_id)
        if generation.batch is None:
            return
        ids = tuple(g.id for g in await db(self.engine.generations.batch, generation.batch))
        for gid in ids:
            self.record(gid).lead = ids[0]
        self.record(ids[0]).batch = ids

    def lead_of(self, generation_id: int) -> int:
        record = self.records.get(generation_id)
        return record.lead if record is not None and record.lead is not None else generation_id

    async def show(self, generation_id: int, target: Target, text: str, markup=None) -> bool:
        """Edit the job's status message; False if there is none or it can't be edited."""
        if target.message_id is None:
            return False
        record = self.record(generation_id)
        if record.shown == text:
            return True
        try:
            with self.calling():
                await self.app.bot.edit_message_text(text, chat_id=target.chat_id, message_id=target.message_id,
                                                     reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in exc.message:
                log.info("generation %s: status message not edited: %s", generation_id, exc.message)
                return False
        except TelegramError as exc:
            log.warning("generation %s: status message not edited: %s", generation_id, exc)
            return False
        record.shown = text
        return True
