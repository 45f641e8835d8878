"""Webhooks that another process received. Higgsfield calls one public URL, so with several
processes (bot replicas behind a proxy, workers, a `higgsctl generate`) the webhook for a job
often reaches a process that does not drive it. The receiver writes every delivery down
(engine/webhooks.py); each process that drives jobs looks, every ``EVERY`` seconds while it
has requests in flight, for deliveries about its own requests, and wakes those jobs, which
then ask the status endpoint once. Without this they would wait for the slow safety poll.
One indexed query a look, on both databases; on PostgreSQL the receiver's NOTIFY makes every
tail look at once (pg_listen.py), and the timed look stays as the net."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from .. import fastsql
from ..events import Status

if TYPE_CHECKING:
    from .job import Job, RunDb

log = logging.getLogger("higgsctl.webhooks")
EVERY = 0.5  # seconds between looks: the added delay for a webhook another process took
CHUNK = 500  # request ids per query (SQLite's variable limit is 999 on old builds)
WAITING = (Status.QUEUED, Status.IN_PROGRESS)


def delivered(request_ids: list[str]) -> set[str]:
    """Which of these requests a webhook was received for (by any process)."""
    found: set[str] = set()
    for start in range(0, len(request_ids), CHUNK):
        chunk = request_ids[start:start + CHUNK]
        marks = ", ".join("?" for _ in chunk)
        found.update(fastsql.column(f'SELECT DISTINCT "request_id" FROM "webhook_delivery" WHERE "request_id" IN ({marks})',
                                  *chunk))
    return found


class WebhookTail:
    def __init__(self, jobs: dict[int, Job], run_db: RunDb, *, every: float = EVERY) -> None:
        self.jobs, self.run_db, self.every = jobs, run_db, every
        self.told: set[str] = set()  # requests whose job was woken for its webhook already
        self._task: asyncio.Task | None = None
        self._poked = asyncio.Event()

    def watch(self) -> None:
        """Look while this process has requests in flight (started with each job; ends itself)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="higgsctl-webhook-tail")

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def poke(self) -> None:
        """A webhook was just written down (PostgreSQL's NOTIFY): look now."""
        self._poked.set()

    async def _run(self) -> None:
        while self.jobs:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.every):
                    await self._poked.wait()
            self._poked.clear()
            try:
                await self.look()
            except Exception:  # a database hiccup: the next look (or the safety poll) catches up
                log.warning("could not look for webhooks received elsewhere", exc_info=True)

    async def look(self) -> None:
        jobs = list(self.jobs.values())
        self.told &= {job.g.request_id for job in jobs}  # forget the jobs that ended
        asking = {job.g.request_id: job for job in jobs
                  if job.g.request_id is not None and job.g.status in WAITING and job.g.request_id not in self.told}
        if not asking:
            return
        for request_id in await self.run_db(delivered, list(asking)):
            self.told.add(request_id)
            asking[request_id].push(None)

    def took(self, request_id: str) -> None:
        """A webhook this process received and handed to its job itself: not to be acted on twice."""
        self.told.add(request_id)
