"""The generation service every face uses: validate → hold → upload → submit → poll →
download → store → capture (or release) → record.

Many jobs run concurrently on one event loop; each job is a coroutine, database work runs
in worker threads, and every step is persisted so a restarted process resumes unfinished
jobs from their request_id (the submit is repeated only with the same Idempotency-Key).
Progress is data: ``on_event`` receives a ``JobEvent`` for each change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from pathlib import Path
from typing import Awaitable, Callable

from .. import fastsql
from ..config import Settings
from ..credits import Credits
from ..db import write_transaction
from ..errors import NotFound
from ..events import ACTIVE, TERMINAL, EventHandler, JobEvent
from ..higgsfield import HiggsfieldClient, PollPolicy, RetryPolicy
from ..models import Generation, database, utcnow
from ..requests import CheckedRequest, GenerationRequest, check_request
from ..storage import FileStore
from .job import Job

__all__ = ["ACTIVE", "TERMINAL", "Generations", "JobEvent"]

log = logging.getLogger("higgsctl.generations")

_STILL_ACTIVE = f"status IN ({', '.join('?' for _ in ACTIVE)})"


class Generations:
    def __init__(self, settings: Settings, credits: Credits, store: FileStore, client: Callable[[], HiggsfieldClient],
                 run_db: Callable[..., Awaitable]):
        self.settings = settings
        self.run_db = run_db  # the engine's one door off the event loop (db.DatabaseDoor)
        self.credits = credits
        self.store = store
        self._client_factory = client
        self._client: HiggsfieldClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._wakeups: dict[int, asyncio.Event] = {}
        self.cancel_requested: set[int] = set()
        self._storage_fault: int | None = None  # errno of a storage problem already reported
        hf = settings.higgsfield
        # The one backoff of the job's retry loops (submit, download): as fast as polling, at most
        # as slow as its longest wait. The HTTP client keeps its own short policy per request.
        self.retry_policy = RetryPolicy(base_delay=hf.poll_initial, max_delay=hf.poll_max)

    @property
    def client(self) -> HiggsfieldClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    @property
    def slots(self) -> asyncio.Semaphore:
        # Submitted-but-unfinished requests count against the account's concurrency limit.
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.higgsfield.max_concurrent)
        return self._slots

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- creating and running --------------------------------------------------------

    async def create(self, request: GenerationRequest) -> Generation:
        """Validate, then hold the cost and record the job. Nothing is sent yet."""
        self.client  # no API key: ConfigError now, before any credit is held
        if request.references:  # Pillow reads the files: keep that off the database thread
            checked = await asyncio.to_thread(check_request, self.settings, request)
            hold = asyncio.ensure_future(self.run_db(self._hold, checked))
        else:
            hold = asyncio.ensure_future(self.run_db(lambda: self._hold(check_request(self.settings, request))))
        try:
            return await asyncio.shield(hold)
        except asyncio.CancelledError:
            # Interrupted while the hold was being written: it still lands, so give it back.
            with contextlib.suppress(Exception):
                generation = await hold
                await self.run_db(self.finish, generation.id, "canceled", "interrupted before submission",
                                  error_code="canceled")
            raise

    def _hold(self, checked: CheckedRequest) -> Generation:
        request = checked.request
        paths = [self._own_copy(request.user_id, r.path) for r in checked.references]
        generation = self.credits.hold(
            request.user_id, checked.cost,
            model=request.model, prompt=checked.prompt, aspect_ratio=request.aspect_ratio,
            references=[self.store.relative(p) for p in paths], source=request.source, chat_id=request.chat_id,
            status_message_id=request.status_message_id, idempotency_key=uuid.uuid4().hex,
        )
        if paths:  # paid for: the uploads move on to `used` (as in the old bot); a crash
            # between these two steps is covered by FileStore.locate.
            try:
                moved = [self.store.relative(p) for p in self.store.retire_uploads(request.user_id, paths)]
                self.update(generation.id, references=moved)
                generation.references = moved
            except Exception:  # the hold is committed: the caller must get its generation
                log.warning("generation %s: could not move its uploads to used", generation.id, exc_info=True)
        return generation

    def _own_copy(self, user_id: int, path: Path) -> Path:
        """References must live in the store so a resumed job can still upload them."""
        resolved = path.resolve()
        if resolved.is_relative_to(self.store.root):
            return resolved
        return self.store.adopt_reference(user_id, resolved)

    async def run(self, request: GenerationRequest, on_event: EventHandler | None = None) -> Generation:
        generation = await self.create(request)
        return await self.execute(generation.id, on_event)

    async def execute(self, generation_id: int, on_event: EventHandler | None = None, *,
                      keep_on_interrupt: bool = False) -> Generation:
        """Drive one job to a terminal status (resuming from wherever it stopped).

        If the task is cancelled, a queued request is cancelled upstream and its hold
        released — unless ``keep_on_interrupt`` (a service shutting down to restart): then
        the job stays open for the next ``resume_unfinished``."""
        generation = await self.get_async(generation_id)
        if generation.status in TERMINAL:
            await self._settle_leftover(generation)
            return generation
        job = Job(self, generation, on_event, keep_on_interrupt)
        self._wakeups[generation_id] = job.wakeup
        try:
            return await job.run()
        finally:
            self._wakeups.pop(generation_id, None)
            self.cancel_requested.discard(generation_id)

    async def cancel(self, generation_id: int) -> bool:
        """Cancel a job that has not started generating. True if it will end as canceled.
        Works for jobs run by this process or by another one (the row arbitrates)."""
        generation = await self.get_async(generation_id)
        if generation.status in TERMINAL:
            return False
        if generation.submitted_at is None:
            if await self.run_db(self.cancel_unsubmitted, generation_id):
                self.cancel_requested.add(generation_id)
                self._wake(generation_id)
                return True
            generation = await self.get_async(generation_id)  # its submit was claimed meanwhile
        if generation.status != "queued" or generation.request_id is None:
            return False
        canceled = await self.client.cancel(generation.request_id, generation.cancel_url)
        if canceled:
            self._wake(generation_id)
            if generation_id not in self._wakeups:  # nobody here follows it
                await self.run_db(self.finish, generation_id, "canceled", "canceled while queued",
                                  error_code="canceled")
        return canceled

    def claim_submit(self, generation_id: int) -> bool:
        """Mark the submit as under way, if the job is still active and nobody submitted it.
        False: it was canceled, or another process holds its request."""
        return bool(fastsql.update(
            Generation, generation_id, f"{_STILL_ACTIVE} AND request_id IS NULL", ACTIVE, submitted_at=utcnow()))

    def store_reference_urls(self, generation_id: int, urls: list[str]) -> Generation:
        fastsql.update(Generation, generation_id, "reference_urls IS NULL", (), reference_urls=urls)
        return self.get(generation_id)

    def cancel_unsubmitted(self, generation_id: int) -> bool:
        """End a job as canceled (releasing its hold) only if its submit never started."""
        with write_transaction(database.obj):
            done = fastsql.update(
                Generation, generation_id, f"{_STILL_ACTIVE} AND submitted_at IS NULL", ACTIVE,
                status="canceled", error="canceled before submission", error_code="canceled", finished_at=utcnow(),
            )
            if done:
                self.credits.release(generation_id, "canceled")
        return bool(done)

    def storage_failed(self, generation_id: int, exc: OSError) -> None:
        """A result could not be stored: the operator's problem (disk full, read-only, no
        permission). Said once, clearly, until storing works again; the job retries."""
        fault = exc.errno or 0
        if fault == self._storage_fault:
            log.debug("generation %s: still cannot store its result: %s", generation_id, exc)
            return
        self._storage_fault = fault
        log.error("cannot store results in %s: %s (generation %s). Free disk space or fix the permissions; "
                  "finished images are kept upstream and retried, their credits stay held.",
                  self.store.root, exc.strerror or exc, generation_id)

    def storage_works(self) -> None:
        if self._storage_fault is not None:
            self._storage_fault = None
            log.info("storing results works again")

    def _wake(self, generation_id: int) -> None:
        event = self._wakeups.get(generation_id)
        if event is not None:
            event.set()

    async def resume_unfinished(self, on_event: EventHandler | None = None, *, source: str | None = None,
                                keep_on_interrupt: bool = False) -> list[asyncio.Task]:
        """Start tasks that finish every job a previous process left unfinished."""
        pending = await self.run_db(self.unfinished, source)
        tasks = [
            asyncio.create_task(self.execute(g.id, on_event, keep_on_interrupt=keep_on_interrupt), name=f"generation-{g.id}")
            for g in pending
        ]
        if tasks:
            log.info("resuming %d unfinished generation(s)", len(tasks))
        return tasks

    # --- records ---------------------------------------------------------------------

    def get(self, generation_id: int) -> Generation:
        generation = fastsql.get(Generation, generation_id)
        if generation is None:
            raise NotFound(f"No generation #{generation_id}.")
        return generation

    async def get_async(self, generation_id: int) -> Generation:
        return await self.run_db(self.get, generation_id)

    def unfinished(self, source: str | None = None) -> list[Generation]:
        query = Generation.select().where(Generation.status.in_(ACTIVE))
        if source:
            query = query.where(Generation.source == source)
        return list(query.order_by(Generation.id))

    def update(self, generation_id: int, **fields) -> None:
        """Change a job that is still running; a finished job is never brought back."""
        fastsql.update(Generation, generation_id, _STILL_ACTIVE, ACTIVE, **fields)

    def finish(self, generation_id: int, status: str, error: str | None = None, files: list[str] | None = None,
               error_code: str | None = None) -> bool:
        """Record the terminal status (``error_code``: why, for faces to translate) and settle the
        hold in one transaction. Only the first caller for a job changes anything; returns
        whether this call did."""
        with write_transaction(database.obj):
            changes = {"status": status, "error": error, "error_code": error_code, "finished_at": utcnow()}
            if files is not None:
                changes["result_files"] = files
            done = fastsql.update(Generation, generation_id, _STILL_ACTIVE, ACTIVE, **changes)
            if status == "completed":
                self.credits.capture(generation_id)
            else:
                self.credits.release(generation_id, status)
        return bool(done)

    def finish_and_get(self, generation_id: int, status: str, error: str | None, files: list[str] | None,
                       error_code: str | None = None) -> Generation:
        self.finish(generation_id, status, error, files, error_code)
        return self.get(generation_id)

    def mark_delivered(self, generation_id: int) -> bool:
        """Claim delivery of a result (the bot): True for exactly one caller."""
        return bool(
            Generation.update(delivered_at=utcnow())
            .where((Generation.id == generation_id) & Generation.delivered_at.is_null())
            .execute()
        )

    def mark_part_delivered(self, generation_id: int, part: int) -> None:
        """Record that part ``part`` (counted from 0, in the order a face sends them) of a
        job's outcome reached the user, right after it did: a delivery that starts again
        after a crash skips the first ``delivered_parts``. Never moves backwards."""
        (Generation.update(delivered_parts=part + 1)
         .where((Generation.id == generation_id) & (Generation.delivered_parts <= part)).execute())

    def undelivered(self, source: str = "bot") -> list[Generation]:
        return list(
            Generation.select().where(
                (Generation.source == source) & Generation.status.in_(TERMINAL) & Generation.delivered_at.is_null()
            ).order_by(Generation.id)
        )

    async def _settle_leftover(self, generation: Generation) -> None:
        # A crash between recording a terminal status and settling is impossible (one
        # transaction), but rows written by older versions or by hand may still hold.
        if generation.charge == "held":
            await self.run_db(self.finish, generation.id, generation.status, generation.error,
                              error_code=generation.error_code)

    def poll_policy(self) -> PollPolicy:
        hf = self.settings.higgsfield
        return PollPolicy(initial=hf.poll_initial, factor=hf.poll_factor, maximum=hf.poll_max,
                          jitter=0.0 if hf.poll_initial == hf.poll_max else 0.5, timeout=hf.generation_timeout)


