"""A worker: drives jobs that no live process drives (queued for workers with `higgsctl
generate --queue`, or left by a process that died or stopped), up to ``capacity`` at once,
looking every half lease. With webhooks, Higgsfield calls the bot's public URL; the bot writes
each delivery down and the worker's webhook tail wakes the job (generations/webhook_tail.py).
Stopping drains: it stops taking jobs, interrupts the ones it drives
(they stay open: a submitted request keeps running upstream) and hands their leases back, so
another process takes them over at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .service import Generations

log = logging.getLogger("higgsctl.worker")


class Worker:
    def __init__(self, generations: Generations, *, capacity: int = 100) -> None:
        self.generations = generations
        self.capacity = capacity
        self.tasks: set[asyncio.Task] = set()

    async def run(self, stopped: asyncio.Event) -> None:
        every = self.generations.leases.ttl / 2
        while not stopped.is_set():
            try:
                await self._take()
            except Exception:
                log.warning("could not look for jobs", exc_info=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(every):
                    await stopped.wait()
        await self.drain()

    async def _take(self) -> None:
        """Up to ``capacity`` jobs; beyond it, still every orphan holding an account slot (its
        request runs upstream and its slot stays taken for every process until someone follows
        it: refusing it at capacity could leave all the workers waiting on each other)."""
        run_db, generations = self.generations.run_db, self.generations
        ids = await run_db(generations.takeable)
        urgent = await run_db(generations.leases.holding_slots, ids)
        free = self.capacity - len(self.tasks)
        for gid in ids:
            if gid in urgent or free > 0:
                free -= gid not in urgent
                self._drive(gid)

    def _drive(self, generation_id: int) -> None:
        task = asyncio.create_task(self.generations.execute(generation_id, keep_on_interrupt=True),
                                   name=f"generation-{generation_id}")
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a job crashed in the worker", exc_info=task.exception())

    async def drain(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        handed = await self.generations.hand_back()
        if handed:
            log.info("handed %d job(s) back for another process", handed)
