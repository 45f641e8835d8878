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
import inspect
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import urlparse

from . import fastsql
from .config import Settings
from .credits import Credits
from .db import is_sqlite, write_transaction
from .errors import ConcurrencyLimitError, HiggsctlError, HiggsfieldError, HiggsfieldTimeout, InvalidInput, NotFound
from .higgsfield import HiggsfieldClient, PollPolicy, Status
from .models import Generation, database, utcnow
from .requests import CheckedRequest, GenerationRequest, check_request
from .storage import FileStore

log = logging.getLogger("higgsctl.generations")

ACTIVE = ("pending", "uploading", "queued", "in_progress", "downloading")
TERMINAL = ("completed", "failed", "nsfw", "canceled", "timed_out")
_STILL_ACTIVE = f"status IN ({', '.join('?' for _ in ACTIVE)})"


@dataclass(frozen=True)
class JobEvent:
    generation_id: int
    status: str  # one of ACTIVE or TERMINAL
    detail: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


EventHandler = Callable[[JobEvent], Awaitable[None] | None]


class Generations:
    def __init__(self, settings: Settings, credits: Credits, store: FileStore, client: Callable[[], HiggsfieldClient]):
        self.settings = settings
        self.credits = credits
        self.store = store
        self._client_factory = client
        self._client: HiggsfieldClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._wakeups: dict[int, asyncio.Event] = {}
        self._cancel_requested: set[int] = set()
        self._executor: ThreadPoolExecutor | None = None

    async def _db(self, fn, *args, **kwargs):
        """Run blocking database work off the event loop. On SQLite one thread does all of
        it: writers in one process never contend for the lock (whose busy handler sleeps
        for milliseconds), and other processes still wait on busy_timeout."""
        if self._executor is None:
            workers = 1 if is_sqlite(database.obj) else 4
            self._executor = ThreadPoolExecutor(workers, thread_name_prefix="higgsctl-db")
        return await asyncio.get_running_loop().run_in_executor(self._executor, lambda: fn(*args, **kwargs))

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
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    # --- creating and running --------------------------------------------------------

    async def create(self, request: GenerationRequest) -> Generation:
        """Validate, then hold the cost and record the job. Nothing is sent yet."""
        self.client  # no API key: ConfigError now, before any credit is held
        if request.references:  # Pillow reads the files: keep that off the database thread
            checked = await asyncio.to_thread(check_request, self.settings, request)
            hold = asyncio.ensure_future(self._db(self._hold, checked))
        else:
            hold = asyncio.ensure_future(self._db(lambda: self._hold(check_request(self.settings, request))))
        try:
            return await asyncio.shield(hold)
        except asyncio.CancelledError:
            # Interrupted while the hold was being written: it still lands, so give it back.
            with contextlib.suppress(Exception):
                generation = await hold
                await self._db(self.finish, generation.id, "canceled", "interrupted before submission")
            raise

    def _hold(self, checked: CheckedRequest) -> Generation:
        request = checked.request
        references = [self.store.relative(self._own_copy(request.user_id, r.path)) for r in checked.references]
        return self.credits.hold(
            request.user_id, checked.cost,
            model=request.model, prompt=checked.prompt, aspect_ratio=request.aspect_ratio,
            references=references, source=request.source, chat_id=request.chat_id,
            status_message_id=request.status_message_id, idempotency_key=uuid.uuid4().hex,
        )

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
        job = _Job(self, generation, on_event, keep_on_interrupt)
        self._wakeups[generation_id] = job.wakeup
        try:
            return await job.run()
        finally:
            self._wakeups.pop(generation_id, None)
            self._cancel_requested.discard(generation_id)

    async def cancel(self, generation_id: int) -> bool:
        """Cancel a job that has not started generating. True if it will end as canceled."""
        generation = await self.get_async(generation_id)
        if generation.status in TERMINAL:
            return False
        if generation.request_id is None or generation.status in ("pending", "uploading"):
            self._cancel_requested.add(generation_id)
            self._wake(generation_id)
            if generation_id not in self._wakeups:  # not running in this process
                await self._db(self.finish, generation_id, "canceled", "canceled before submission")
            return True
        if generation.status != "queued":
            return False
        canceled = await self.client.cancel(generation.request_id, generation.cancel_url)
        if canceled:
            self._wake(generation_id)
        return canceled

    def _wake(self, generation_id: int) -> None:
        event = self._wakeups.get(generation_id)
        if event is not None:
            event.set()

    async def resume_unfinished(self, on_event: EventHandler | None = None, *, source: str | None = None,
                                keep_on_interrupt: bool = False) -> list[asyncio.Task]:
        """Start tasks that finish every job a previous process left unfinished."""
        pending = await self._db(self.unfinished, source)
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
        return await self._db(self.get, generation_id)

    def unfinished(self, source: str | None = None) -> list[Generation]:
        query = Generation.select().where(Generation.status.in_(ACTIVE))
        if source:
            query = query.where(Generation.source == source)
        return list(query.order_by(Generation.id))

    def update(self, generation_id: int, **fields) -> None:
        """Change a job that is still running; a finished job is never brought back."""
        fastsql.update(Generation, generation_id, _STILL_ACTIVE, ACTIVE, **fields)

    def finish(self, generation_id: int, status: str, error: str | None = None, files: list[str] | None = None) -> bool:
        """Record the terminal status and settle the hold in one transaction. Only the first
        caller for a job changes anything; returns whether this call did."""
        with write_transaction(database.obj):
            changes = {"status": status, "error": error, "finished_at": utcnow()}
            if files is not None:
                changes["result_files"] = files
            done = fastsql.update(Generation, generation_id, _STILL_ACTIVE, ACTIVE, **changes)
            if status == "completed":
                self.credits.capture(generation_id)
            else:
                self.credits.release(generation_id, status)
        return bool(done)

    def finish_and_get(self, generation_id: int, status: str, error: str | None, files: list[str] | None) -> Generation:
        self.finish(generation_id, status, error, files)
        return self.get(generation_id)

    def mark_delivered(self, generation_id: int) -> bool:
        """Claim delivery of a result (the bot): True for exactly one caller."""
        return bool(
            Generation.update(delivered_at=utcnow())
            .where((Generation.id == generation_id) & Generation.delivered_at.is_null())
            .execute()
        )

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
            await self._db(self.finish, generation.id, generation.status, generation.error)

    def poll_policy(self) -> PollPolicy:
        hf = self.settings.higgsfield
        return PollPolicy(initial=hf.poll_initial, factor=hf.poll_factor, maximum=hf.poll_max,
                          jitter=0.0 if hf.poll_initial == hf.poll_max else 0.5, timeout=hf.generation_timeout)


class _Job:
    """One generation's run; its state lives in the database, this only drives it."""

    def __init__(self, service: Generations, generation: Generation, on_event: EventHandler | None,
                 keep_on_interrupt: bool = False):
        self.s = service
        self.g = generation
        self.on_event = on_event
        self.keep_on_interrupt = keep_on_interrupt
        self.wakeup = asyncio.Event()
        self.deadline = time.monotonic() + service.settings.higgsfield.generation_timeout
        if generation.submitted_at is not None:  # resumed: the timeout counts from the submit
            elapsed = (utcnow() - generation.submitted_at).total_seconds()
            self.deadline -= max(0.0, elapsed)

    async def run(self) -> Generation:
        try:
            await self.emit(self.g.status)
            if not await self.take_slot():
                await self.end("canceled", "canceled while waiting for a free slot")
                return self.g
            try:
                if self.g.request_id is None and not await self.submit():
                    return self.g
                await self.follow()
            finally:
                self.s.slots.release()
        except asyncio.CancelledError:
            await asyncio.shield(self.on_interrupt())
            raise
        except HiggsctlError as exc:
            await self.end("failed", exc.message)
        except Exception as exc:  # a bug must not keep the user's credits
            log.exception("generation %s crashed", self.g.id)
            await self.end("failed", f"internal error: {type(exc).__name__}")
        return self.g

    async def take_slot(self) -> bool:
        """Wait for one of the account's submission slots, or for a cancel (False)."""
        slots = self.s.slots
        if not slots.locked():
            await slots.acquire()
            return True
        await self.emit("pending", "waiting for a free slot")
        acquire = asyncio.ensure_future(slots.acquire())
        while not acquire.done():
            woken = asyncio.ensure_future(self.wakeup.wait())
            try:
                await asyncio.wait({acquire, woken}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                woken.cancel()
            self.wakeup.clear()
            if self.canceled() and not acquire.done():
                acquire.cancel()
                return False
        if self.canceled():
            slots.release()
            return False
        return True

    async def submit(self) -> bool:
        spec = self.s.settings.model(self.g.model)
        if self.g.references:
            await self.set_status("uploading")
        urls = [await self.upload(path) for path in self.g.references]
        if self.canceled():
            await self.end("canceled", "canceled before submission")
            return False
        arguments = spec.arguments_for(self.g.prompt, self.g.aspect_ratio, urls)
        application = spec.application_for(len(urls))
        delay = 1.0
        while True:
            try:
                status = await self.s.client.submit(application, arguments, idempotency_key=self.g.idempotency_key)
                break
            except ConcurrencyLimitError:
                # Another process holds the account's slots; a rejected submit is not accepted,
                # so trying again later is safe.
                if time.monotonic() + delay > self.deadline:
                    await self.end("timed_out", "no free generation slot on the Higgsfield account")
                    return False
                await self.emit("pending", "waiting for a free slot")
                await self.sleep(delay)
                if self.canceled():
                    await self.end("canceled", "canceled before submission")
                    return False
                delay = min(delay * 2, 10.0) * random.uniform(0.8, 1.2)
            except HiggsfieldError as exc:
                await self.end("failed", exc.message)
                return False
        submitted = {"request_id": status.request_id, "status_url": status.status_url,
                     "cancel_url": status.cancel_url, "submitted_at": utcnow(), "status": "queued"}
        await self.s._db(self.s.update, self.g.id, **submitted)
        for name, value in submitted.items():
            setattr(self.g, name, value)
        log.info("generation %s submitted as %s", self.g.id, self.g.request_id)
        await self.emit("queued")
        return True

    async def upload(self, relative: str) -> str:
        from .requests import CONTENT_TYPES

        path = self.s.store.inside(Path(relative))
        if not path.is_file():
            raise InvalidInput(f"Reference {path.name} is gone from the file store.")
        data = await asyncio.to_thread(path.read_bytes)
        content_type = await asyncio.to_thread(_content_type, path, CONTENT_TYPES)  # Pillow: off the loop
        return await self.s.client.upload(data, content_type)

    async def follow(self) -> None:
        policy = self.s.poll_policy()
        delay = policy.initial
        last = self.g.status
        while True:
            try:
                status = await self.s.client.status(self.g.request_id, self.g.status_url)
            except HiggsfieldError as exc:
                if not exc.retryable:
                    await self.end("failed", exc.message)
                    return
                log.warning("generation %s: status check failed (%s); retrying", self.g.id, exc.message)
                status = None
            if status is not None and status.status.value != last:
                last = status.status.value
                if status.status is Status.COMPLETED:
                    await self.complete(status.image_urls)
                    return
                if status.status.terminal:
                    await self.end(last, status.error)
                    return
                await self.set_status(last)
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                await self.time_out()
                return
            await self.sleep(min(delay + random.uniform(0, policy.jitter), remaining))
            delay = min(delay * policy.factor, policy.maximum)

    async def complete(self, urls: tuple[str, ...]) -> None:
        if not urls:
            await self.end("failed", "the generation finished without an image")
            return
        await self.set_status("downloading")
        max_bytes = self.s.settings.higgsfield.max_download_mb * 1024 * 1024
        files = []
        for index, url in enumerate(urls):
            ext = Path(urlparse(url).path).suffix or ".png"
            dest = await self.s._db(self.s.store.result_path, self.g.user_id, self.g.id, index, ext)
            await self.s.client.download(url, dest, max_bytes=max_bytes)
            files.append(self.s.store.relative(dest))
        await self.end("completed", None, files)

    async def time_out(self) -> None:
        if self.g.status == "queued":
            try:
                await self.s.client.cancel(self.g.request_id, self.g.cancel_url)
            except HiggsfieldError:
                pass
        await self.end("timed_out", f"no result after {self.s.settings.higgsfield.generation_timeout:.0f} s")

    async def on_interrupt(self) -> None:
        """The caller cancelled us (Ctrl-C, shutdown). Cancel upstream if still possible;
        a job already generating stays open and is finished by the next resume."""
        current = await self.reload()
        if current.status in TERMINAL:
            return
        if self.keep_on_interrupt and current.request_id is not None:
            return  # submitted: the next resume_unfinished follows it (the hold stays held)
        if current.request_id is None:
            await self.end("canceled", "interrupted before submission")
            return
        if current.status == "queued":
            try:
                if await self.s.client.cancel(current.request_id, current.cancel_url):
                    await self.end("canceled", "interrupted while queued")
            except HiggsfieldError as exc:
                log.warning("generation %s: cancel failed: %s", self.g.id, exc.message)

    # --- helpers ---------------------------------------------------------------------

    def canceled(self) -> bool:
        return self.g.id in self.s._cancel_requested

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake early when someone cancels this job."""
        try:
            async with asyncio.timeout(max(0.0, seconds)):  # no extra task per sleep, unlike wait_for
                await self.wakeup.wait()
        except TimeoutError:
            pass
        self.wakeup.clear()

    async def set_status(self, status: str, detail: str | None = None) -> None:
        if status != self.g.status:
            await self.s._db(self.s.update, self.g.id, status=status)
            self.g.status = status
        await self.emit(status, detail)

    async def end(self, status: str, error: str | None, files: list[str] | None = None) -> None:
        self.g = await self.s._db(self.s.finish_and_get, self.g.id, status, error, files)
        log.info("generation %s ended %s%s", self.g.id, self.g.status, f": {error}" if error else "")
        await self.emit(self.g.status, self.g.error)

    async def reload(self) -> Generation:
        return await self.s.get_async(self.g.id)

    async def emit(self, status: str, detail: str | None = None) -> None:
        if self.on_event is None:
            return
        try:
            result = self.on_event(JobEvent(self.g.id, status, detail))
            if inspect.isawaitable(result):
                await result
        except Exception:  # a face's rendering bug must never stop a paid job
            log.exception("event handler failed for generation %s", self.g.id)


def _content_type(path: Path, types: dict[str, str]) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return types.get(image.format or "", "image/png")
