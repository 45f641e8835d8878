"""The generation service every face uses: validate → hold → upload → submit → poll →
download → store → capture (or release) → record.

Many jobs run concurrently on one event loop; each job (job.py) is a coroutine, database
work goes through the engine's door (``run_db``) to the statements in rows.py, and every
step is persisted so a restarted process resumes unfinished jobs from their request_id (the
submit is repeated only with the same Idempotency-Key). Progress is data: ``on_event``
receives a ``JobEvent`` for each change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Callable

from ..config import Settings
from ..credits import Credits
from ..events import ACTIVE, TERMINAL, Charge, EventHandler, JobEvent, Status
from ..higgsfield import HiggsfieldClient, PollPolicy, RequestStatus, RetryPolicy
from ..account_slots import AccountSlots
from ..leases import Leases
from ..metrics import StageTimer
from ..models import Generation
from ..pg_listen import SLOTS, WEBHOOKS, Listener
from ..requests import CheckedRequest, GenerationRequest, check_request
from ..storage import FileStore
from .job import Job, JobPolicy, RunDb
from .queue import FairQueue
from .rows import AdminAct, GenerationRows
from .service_times import recent_service_times
from .storage_alarm import StorageAlarm
from .webhook_tail import WebhookTail

__all__ = ["ACTIVE", "TERMINAL", "Generations", "JobEvent"]

log = logging.getLogger("higgsctl.generations")


class Generations:
    def __init__(self, settings: Settings, credits: Credits, store: FileStore, client: Callable[[], HiggsfieldClient],
                 run_db: RunDb):
        self.settings = settings
        self.run_db = run_db  # the engine's one door off the event loop (db.DatabaseDoor)
        self.credits = credits
        self.store = store
        self.rows = GenerationRows(credits)
        self._client_factory = client
        self._client: HiggsfieldClient | None = None
        self._slots: FairQueue | None = None
        self._service_times_loaded: asyncio.Future | None = None
        self._jobs: dict[int, Job] = {}  # the jobs this process drives right now
        self.webhook_tail = WebhookTail(self._jobs, run_db)  # webhooks other processes received
        self.listener: Listener | None = None  # other processes' news, on PostgreSQL
        self._listening: asyncio.Task | None = None
        self.cancel_requested: set[int] = set()
        # Sinks that see every job's events besides the caller's (metrics.StageTimer)
        self.observers: list[Callable[[JobEvent], None]] = [StageTimer()]
        self.storage_alarm = StorageAlarm(store.root)
        # Which jobs this process drives (several processes on one database; leases.py)
        self.leases = Leases(ttl=settings.higgsfield.lease_seconds)
        self._keeper: asyncio.Task | None = None
        self._driving: set[int] = set()  # jobs an execute() of this process is on
        # False: this process never takes other processes' jobs (a bot or worker running against
        # the sandbox must not drive, charge and answer real users' jobs with fake images)
        self.adopt_orphans = True
        hf = settings.higgsfield
        # With webhooks a finished request wakes its job; polling is the slow safety net.
        poll_initial, poll_max = (hf.webhook_poll, hf.webhook_poll) if hf.webhook_url else (hf.poll_initial, hf.poll_max)
        self.policy = JobPolicy(
            model=settings.model, generation_timeout=hf.generation_timeout,
            result_deadline_hours=hf.result_deadline_hours, max_download_bytes=hf.max_download_mb * 1024 * 1024,
            webhook_url=hf.webhook_url or None, account=AccountSlots(hf.max_concurrent),
            poll=PollPolicy(initial=poll_initial, factor=hf.poll_factor, maximum=poll_max,
                            jitter=0.0 if poll_initial == poll_max else 0.5, timeout=hf.generation_timeout),
            # As fast as polling, at most as slow as its longest wait. The HTTP client keeps its
            # own short policy per request.
            retry=RetryPolicy(base_delay=hf.poll_initial, max_delay=hf.poll_max),
        )

    @property
    def client(self) -> HiggsfieldClient:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    @property
    def slots(self) -> FairQueue:
        # Submitted-but-unfinished requests count against the account's concurrency limit.
        if self._slots is None:
            hf = self.settings.higgsfield
            self._slots = FairQueue(hf.max_concurrent, hf.max_running_per_user)
        return self._slots

    async def _load_service_times(self) -> None:
        """Once per process: the queue's estimates start from the database's measurements."""
        if self._service_times_loaded is None:
            self._service_times_loaded = asyncio.ensure_future(self._seed_service_times())
        await asyncio.shield(self._service_times_loaded)

    async def _seed_service_times(self) -> None:
        try:
            self.slots.times.seed(await self.run_db(recent_service_times))
        except Exception:  # estimates are a courtesy: the queue works without them
            log.warning("could not read the measured service times", exc_info=True)

    async def aclose(self) -> None:
        self.webhook_tail.stop()
        if self.listener is not None:
            self.listener.stop()
            if self._listening is not None and not self._listening.done():
                self._listening.cancel()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- creating and running --------------------------------------------------------

    async def create(self, request: GenerationRequest) -> Generation:
        """Validate, then hold the cost and record the job. Nothing is sent yet."""
        if request.count != 1:
            raise ValueError("a request for several images is created with create_batch")
        return (await self.create_batch(request))[0]

    async def create_batch(self, request: GenerationRequest, *, lease: bool = True,
                           origin_key: str | None = None) -> list[Generation]:
        """Validate, then hold ``count × price`` and record one job per image (sharing a
        ``batch`` key), all at once or not at all. Nothing is sent yet. The jobs are this
        process's to run (leased to it), or, with ``lease=False``, any worker's to take.
        ``origin_key`` (a bot press) is held once: AlreadyHeld when it was, nothing charged."""
        self.client  # no API key: ConfigError now, before any credit is held
        if request.references:  # Pillow reads the files: keep that off the database thread
            checked = await asyncio.to_thread(check_request, self.settings, request)
            hold = asyncio.ensure_future(self.run_db(self._hold, checked, lease, origin_key))
        else:
            hold = asyncio.ensure_future(
                self.run_db(lambda: self._hold(check_request(self.settings, request), lease, origin_key)))
        try:
            return await asyncio.shield(hold)
        except asyncio.CancelledError:
            # Interrupted while the hold was being written: it still lands, so give it back.
            with contextlib.suppress(Exception):
                for generation in await hold:
                    await self.run_db(self.rows.finish, generation.id, Status.CANCELED,
                                      "interrupted before submission", error_code="canceled")
            raise

    def _hold(self, checked: CheckedRequest, lease: bool = True, origin_key: str | None = None) -> list[Generation]:
        request = checked.request
        paths = [self._own_copy(request.user_id, r.path) for r in checked.references]
        generations = self.rows.hold_batch(
            request.user_id, checked.cost, request.count,
            model=request.model, prompt=checked.prompt, aspect_ratio=request.aspect_ratio,
            style=request.style, options=checked.options or None,
            references=[self.store.relative(p) for p in paths], source=request.source, chat_id=request.chat_id,
            status_message_id=request.status_message_id, origin_key=origin_key,
            **(self.leases.lease() if lease else {}),
        )
        if paths:  # paid for: the uploads move on to `used` (as in the old bot); a crash
            # between these two steps is covered by FileStore.locate.
            try:
                moved = [self.store.relative(p) for p in self.store.retire_uploads(request.user_id, paths)]
                for generation in generations:
                    self.rows.update(generation.id, references=moved)
                    generation.references = moved
            except Exception:  # the hold is committed: the caller must get its generations
                log.warning("generation %s: could not move its uploads to used", generations[0].id, exc_info=True)
        return generations

    def _own_copy(self, user_id: int, path: Path) -> Path:
        """References must live in the store so a resumed job can still upload them."""
        resolved = path.resolve()
        if resolved.is_relative_to(self.store.root):
            return resolved
        return self.store.adopt_reference(user_id, resolved)

    async def run(self, request: GenerationRequest, on_event: EventHandler | None = None) -> Generation:
        """Create and execute one image's job (``run_batch`` runs requests for several)."""
        generation = await self.create(request)
        return await self.execute(generation.id, on_event)

    async def execute(self, generation_id: int, on_event: EventHandler | None = None, *,
                      keep_on_interrupt: bool = False) -> Generation:
        """Drive one job to a terminal status (resuming from wherever it stopped).

        If the task is cancelled, a queued request is cancelled upstream and its hold
        released — unless ``keep_on_interrupt`` (a service shutting down to restart): then
        the job stays open for the next ``resume_unfinished``."""
        if generation_id in self._driving:  # (checked before any await: a second call never overlaps)
            return await self.get_async(generation_id)
        self._driving.add(generation_id)
        try:
            return await self._execute(generation_id, on_event, keep_on_interrupt)
        finally:
            self._driving.discard(generation_id)

    async def _execute(self, generation_id: int, on_event: EventHandler | None, keep_on_interrupt: bool) -> Generation:
        generation = await self.get_async(generation_id)
        if generation.status in TERMINAL:
            await self._settle_leftover(generation)
            return generation
        if not await self.run_db(self.leases.claim, generation_id):
            log.info("generation %s is driven by another process (%s)", generation_id, generation.lease_owner)
            return generation
        self._keep_leases()
        self._listen()
        await self._load_service_times()
        job = Job(generation, rows=self.rows, db=self.run_db, client=lambda: self.client, store=self.store,
                  policy=self.policy, slots=self.slots, storage=self.storage_alarm, on_event=self._observed(on_event),
                  cancel_requested=lambda: generation_id in self.cancel_requested,
                  keep_on_interrupt=keep_on_interrupt)
        self._jobs[generation_id] = job
        if self.policy.webhook_url:
            self.webhook_tail.watch()
        try:
            return await job.run()
        finally:
            self._jobs.pop(generation_id, None)
            self.cancel_requested.discard(generation_id)

    async def run_batch(self, requests: list[GenerationRequest],
                        on_event: EventHandler | None = None) -> tuple[list[Generation], bool]:
        """Hold every job's credits, then execute them concurrently. Cancelling this coroutine
        (Ctrl-C) cancels the jobs: queued requests are canceled upstream and their holds
        released. Returns the final generations and whether we were interrupted."""
        creating = [asyncio.ensure_future(self.create_batch(r)) for r in requests]
        interrupted = False
        try:
            created = await asyncio.shield(asyncio.gather(*creating, return_exceptions=True))
        except asyncio.CancelledError:  # let the holds land, then cancel them below
            interrupted = True
            created = await asyncio.gather(*creating, return_exceptions=True)
        held = [g for batch in created if not isinstance(batch, BaseException) for g in batch]
        problems = [e for e in created if isinstance(e, BaseException)]
        if interrupted or problems:
            for generation in held:  # not running: the engine ends them as canceled and releases
                await self.cancel(generation.id)
            if problems and not interrupted:
                raise problems[0]
            return [await self.get_async(g.id) for g in held], True
        tasks = [asyncio.ensure_future(self.execute(g.id, on_event)) for g in held]
        try:
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        except asyncio.CancelledError:
            interrupted = True
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        crashed = [o for o in outcomes if isinstance(o, Exception)]
        if crashed:
            raise crashed[0]
        return [await self.get_async(g.id) for g in held], interrupted

    async def cancel(self, generation_id: int, by: AdminAct | None = None) -> bool:
        """Cancel a job that has not started generating. True if it will end as canceled.
        Works for jobs run by this process or by another one (the row arbitrates). ``by``:
        an admin's cancel, written to the audit trail when it succeeds."""
        generation = await self.get_async(generation_id)
        if generation.status in TERMINAL:
            return False
        if generation.submitted_at is None:
            if await self.run_db(self.rows.cancel_unsubmitted, generation_id, by):
                self.cancel_requested.add(generation_id)
                self._wake(generation_id)
                return True
            generation = await self.get_async(generation_id)  # its submit was claimed meanwhile
        if generation.status != Status.QUEUED or generation.request_id is None:
            return False
        canceled = await self.client.cancel(generation.request_id, generation.cancel_url)
        if canceled:
            self._wake(generation_id)
            if generation_id not in self._jobs:  # nobody here follows it
                await self.run_db(self.rows.finish, generation_id, Status.CANCELED, "canceled while queued",
                                  error_code="canceled")
            if by is not None:  # upstream agreed; whoever follows the job records the end
                await self.run_db(self.rows.audit_cancel, generation_id, by, "while queued")
        return canceled

    def refund(self, generation_id: int, by: AdminAct) -> int:
        """Give a completed generation's credits back, once (see rows.refund); the new balance."""
        return self.rows.refund(generation_id, by)

    def request_resend(self, generation_id: int, by: AdminAct) -> None:
        """Have the bot deliver a completed result again (see rows.request_resend)."""
        self.rows.request_resend(generation_id, by)

    def nudge(self, generation_id: int, status: RequestStatus | None = None) -> bool:
        """Something says the job's request moved (a webhook): if this process follows the
        job, it acts now instead of at its next poll — on ``status`` when that is a signed
        webhook's finished image, else by asking for the status. Whether a job here took it."""
        job = self._jobs.get(generation_id)
        if job is None:
            return False  # another process drives it: its webhook tail wakes it
        job.push(status)
        if job.g.request_id is not None:
            self.webhook_tail.took(job.g.request_id)
        return True

    def _observed(self, on_event: EventHandler | None) -> EventHandler:
        def sink(event: JobEvent):
            for observe in self.observers:
                observe(event)
            return on_event(event) if on_event is not None else None

        return sink

    def _wake(self, generation_id: int) -> None:
        job = self._jobs.get(generation_id)
        if job is not None:
            job.wakeup.set()

    async def resume_unfinished(self, on_event: EventHandler | None = None, *, source: str | None = None,
                                keep_on_interrupt: bool = False) -> list[asyncio.Task]:
        """Start tasks that finish every job a previous process left unfinished and that no
        live process drives: this process's own (a restart under the same name) and orphans."""
        tasks = [
            asyncio.create_task(self.execute(gid, on_event, keep_on_interrupt=keep_on_interrupt), name=f"generation-{gid}")
            for gid in await self.run_db(self.takeable, source)
        ]
        if tasks:
            log.info("resuming %d unfinished generation(s)", len(tasks))
        return tasks

    def takeable(self, source: str | None = None) -> list[int]:
        """Unfinished jobs this process may drive now, not driven here already."""
        ids = [*self.leases.mine(source), *(self.leases.orphans(source) if self.adopt_orphans else [])]
        return sorted(set(ids) - self._driving)

    def _listen(self) -> None:
        """On PostgreSQL, hear at once when another process frees an account slot or writes a
        webhook down (pg_listen.py); on SQLite the jobs' own looks are all there is."""
        if self.listener is None and not self.settings.database_url.startswith("sqlite"):
            self.listener = Listener(self.settings.database_url, {SLOTS: self._slot_freed,
                                                                   WEBHOOKS: lambda _: self.webhook_tail.poke()})
            self._listening = asyncio.get_running_loop().create_task(self.listener.start(), name="higgsctl-listen")

    def _slot_freed(self, _payload: str) -> None:
        """One job here that waits for the account tries now (each process wakes one: a freed
        slot is not worth a stampede of claims)."""
        for job in self._jobs.values():
            if job.awaiting_account:
                job.wakeup.set()
                return

    def _keep_leases(self) -> None:
        """One task renews this process's leases while it drives any job."""
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._renew_leases(), name="higgsctl-leases")

    async def _renew_leases(self) -> None:
        every = self.leases.ttl / 3
        while True:
            await asyncio.sleep(every)
            try:
                await self.run_db(self.leases.renew)
            except Exception:  # a database hiccup: the next renewal is still inside the lease
                log.warning("could not renew the leases", exc_info=True)
            if not self._driving:
                return

    async def hand_back(self) -> int:
        """Stop driving: give every lease back so another process takes the jobs at once."""
        if self._keeper is not None:
            self._keeper.cancel()
        return await self.run_db(self.leases.give_back)

    # --- records (the statements are in rows.py) ----------------------------------------

    def get(self, generation_id: int) -> Generation:
        return self.rows.get(generation_id)

    async def get_async(self, generation_id: int) -> Generation:
        return await self.run_db(self.rows.get, generation_id)

    def unfinished(self, source: str | None = None) -> list[Generation]:
        return self.rows.unfinished(source)

    def batch(self, key: str) -> list[Generation]:
        return self.rows.batch(key)

    def held_for(self, origin_key: str) -> int | None:
        return self.rows.held_for(origin_key)

    def undelivered(self, source: str = "bot") -> list[Generation]:
        return self.rows.undelivered(source)

    def update(self, generation_id: int, **fields) -> None:
        self.rows.update(generation_id, **fields)

    def finish(self, generation_id: int, status: str, error: str | None = None, files: list[str] | None = None,
               error_code: str | None = None) -> bool:
        return self.rows.finish(generation_id, status, error, files, error_code)

    def mark_delivered(self, generation_id: int) -> bool:
        return self.rows.mark_delivered(generation_id)

    def mark_part_delivered(self, generation_id: int, part: int) -> None:
        self.rows.mark_part_delivered(generation_id, part)

    async def _settle_leftover(self, generation: Generation) -> None:
        # A crash between recording a terminal status and settling is impossible (one
        # transaction), but rows written by older versions or by hand may still hold.
        if generation.charge == Charge.HELD:
            await self.run_db(self.rows.finish, generation.id, generation.status, generation.error,
                              error_code=generation.error_code)
