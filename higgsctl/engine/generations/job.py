"""One generation's run: upload → submit → poll → download → settle. Its state lives in
the database; this only drives it."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable

from ..account_slots import AccountSlots
from ..catalog import ModelSpec
from ..errors import ConcurrencyLimitError, HiggsctlError, HiggsfieldError, InvalidInput
from ..events import (
    ACCOUNT_BUSY, ACTIVE, IN_LINE, SERVICE_UNREACHABLE, TERMINAL,
    EventHandler, JobEvent, Status,
)
from ..higgsfield import HiggsfieldClient, PollPolicy, RequestStatus, RetryPolicy
from ..higgsfield import Status as Upstream
from ..models import Generation, utcnow
from ..requests import CONTENT_TYPES
from ..storage import FileStore
from .queue import FairQueue, Ticket, in_line_detail
from .results import UPSTREAM_CODES, ResultStorage
from .rows import GenerationRows
from .storage_alarm import StorageAlarm

log = logging.getLogger("higgsctl.generations")
RunDb = Callable[..., Awaitable[Any]]  # the engine's database door: await db(fn, *args)

ACCOUNT_POLL_FIRST = 0.05  # seconds between looks for a free account slot held by another process; doubles
ACCOUNT_POLL_MAX = 1.0


@dataclass(frozen=True)
class JobPolicy:
    """The rules every job of a service runs by (from [higgsfield] and the model catalog)."""

    model: Callable[[str], ModelSpec]  # settings.model: a model key's spec, or InvalidInput
    generation_timeout: float  # seconds from the submit to a result
    result_deadline_hours: float  # how long a finished image is retried before giving up
    max_download_bytes: int
    webhook_url: str | None  # sent with every submit (hf_webhook) when set
    account: AccountSlots  # the account's limit, counted in the database across processes
    poll: PollPolicy
    retry: RetryPolicy  # the one backoff of the job's retry loops (submit, download)


class Job(ResultStorage):
    """Drives one generation. It is handed what it needs and never reaches back into the
    service: ``rows`` (run through ``db``, the engine's database door), ``client`` (the
    Higgsfield client, opened on first use), ``store``, ``policy``, the account's ``slots``,
    ``storage`` (reports a failing disk once), ``on_event`` (the event sink) and
    ``cancel_requested`` (the cancel flag). The service wakes it through ``wakeup``."""

    def __init__(self, generation: Generation, *, rows: GenerationRows, db: RunDb,
                 client: Callable[[], HiggsfieldClient], store: FileStore, policy: JobPolicy,
                 slots: FairQueue, storage: StorageAlarm, on_event: EventHandler | None,
                 cancel_requested: Callable[[], bool], keep_on_interrupt: bool = False):
        self.g = generation
        self.rows, self.db, self.client, self.store = rows, db, client, store
        self.policy, self.slots, self.storage = policy, slots, storage
        self.on_event = on_event
        self.cancel_requested = cancel_requested
        self.keep_on_interrupt = keep_on_interrupt
        # A submit was sent whose outcome we may not know (by us, or by a process that died).
        self.maybe_created = generation.submitted_at is not None and generation.request_id is None
        self.wakeup = asyncio.Event()  # a cancel, the fair queue (a slot, a new position), a webhook
        self.pushed: RequestStatus | None = None  # a signed webhook's finished image, not yet acted on
        self.awaiting_account = False  # every slot of the account is taken (by other processes)
        self.ticket: Ticket | None = None
        self.slot_held = False
        self.deadline = time.monotonic() + policy.generation_timeout
        if generation.submitted_at is not None:  # resumed: the timeout counts from the submit
            elapsed = (utcnow() - generation.submitted_at).total_seconds()
            self.deadline -= max(0.0, elapsed)

    async def run(self) -> Generation:
        try:
            await self.emit(self.g.status)
            if self.g.status == Status.DOWNLOADING:  # resumed after the image was finished upstream
                await self.store_results(None)
                return self.g
            # A job that already holds one of the account's slots (taken over from a process
            # that died) is in flight upstream: it skips the local line, where it could wait
            # behind local jobs that wait for that very slot.
            if not self.g.slot_held:
                if not await self.take_slot():
                    await self.end(Status.CANCELED, "canceled while waiting for a free slot", error_code="canceled")
                    return self.g
                self.slot_held = True
            try:
                if self.g.request_id is None and not await self.submit():
                    return self.g
                await self.follow()
            finally:
                self.release_slot()
        except asyncio.CancelledError:
            await asyncio.shield(self.on_interrupt())
            raise
        except HiggsctlError as exc:
            await self.end(Status.FAILED, exc.message, error_code=exc.code)
        except Exception as exc:  # a bug must not keep the user's credits
            log.exception("generation %s crashed", self.g.id)
            await self.end(Status.FAILED, f"internal error: {type(exc).__name__}", error_code="internal")
        return self.g

    def release_slot(self, *, completed: bool = False) -> None:
        if self.slot_held:
            self.slot_held = False
            self.slots.release(self.ticket, completed=completed)

    async def take_slot(self) -> bool:
        """Wait for one of the account's submission slots in the fair queue, or for a cancel
        (False). While it waits, every change of its position is emitted (IN_LINE)."""
        g = self.g
        # A job already submitted (a restart) holds an account slot upstream: it goes first.
        ticket = self.ticket = self.slots.join(g.id, g.user_id, g.model, self.wakeup,
                                               resumed=g.submitted_at is not None)
        shown = None
        try:
            while True:
                if self.canceled():
                    self.slots.leave(ticket)
                    return False
                if ticket.granted:
                    if not ticket.resumed:  # the grant set it; a resumed job's request may have
                        self.wakeup.clear()  # moved meanwhile (a webhook we took): it asks at once
                    return True
                if ticket.position != shown:
                    shown = ticket.position
                    eta = self.slots.eta(ticket)
                    await self.emit(Status.PENDING, in_line_detail(shown, eta), IN_LINE, position=shown, eta=eta)
                    continue  # the queue may have moved meanwhile
                self.wakeup.clear()  # (nothing can set it between the checks above and here)
                await self.wakeup.wait()
        except asyncio.CancelledError:  # our task was cancelled: never leave a slot taken
            self.slots.leave(ticket)
            raise

    async def submit(self) -> bool:
        """Submit the job; True when there is a request to follow."""
        self.g = await self.reload()  # another process (a resume) may have submitted it meanwhile
        if self.g.request_id is not None:
            return self.g.status in ACTIVE
        spec = self.policy.model(self.g.model)
        urls = await self.reference_urls()
        if self.canceled():
            await self.end(Status.CANCELED, "canceled before submission", error_code="canceled")
            return False
        arguments = spec.arguments_for(self.g.prompt, self.g.aspect_ratio, urls, self.g.options)
        application = spec.application_for(len(urls))
        if not await self.take_account_slot():
            return False
        # From here on the request may exist upstream: a cancel from elsewhere must no longer
        # settle the job as unsubmitted. The row decides who wins.
        if not await self.db(self.rows.claim_submit, self.g.id):
            self.g = await self.reload()  # canceled elsewhere, or submitted by another process
            await self.emit(self.g.status, self.g.error, self.g.error_code)
            return self.g.status in ACTIVE and self.g.request_id is not None
        self.g.submitted_at = utcnow()  # (the row's own value differs by the milliseconds of the write)
        attempt = 0
        while True:
            try:
                self.maybe_created = True
                status = await self.client().submit(application, arguments, idempotency_key=self.g.idempotency_key,
                                                    webhook_url=self.policy.webhook_url)
                break
            except HiggsfieldError as exc:
                if isinstance(exc, ConcurrencyLimitError):
                    self.maybe_created = False  # refused outright: nothing exists upstream
                if not exc.retryable:
                    await self.end(Status.FAILED, exc.message, error_code=exc.code)
                    return False
                # A busy account (another process holds the slots), a 5xx or a lost answer:
                # repeating under the same Idempotency-Key can't create a second request.
                attempt += 1
                delay = self.policy.retry.backoff(attempt)
                if time.monotonic() + delay > self.deadline:
                    await self.end(Status.TIMED_OUT, f"could not submit: {exc.message}", error_code="timed_out")
                    return False
                if isinstance(exc, ConcurrencyLimitError):
                    await self.emit(Status.PENDING, "the account is busy (concurrency limit)", ACCOUNT_BUSY)
                else:
                    await self.emit(Status.PENDING, f"retrying the submission: {exc.message}", SERVICE_UNREACHABLE)
                await self.sleep(delay)
        submitted = {"request_id": status.request_id, "status_url": status.status_url,
                     "cancel_url": status.cancel_url, "status": Status.QUEUED}
        await self.db(self.rows.update, self.g.id, **submitted)
        for name, value in submitted.items():
            setattr(self.g, name, value)
        log.info("generation %s submitted as %s", self.g.id, self.g.request_id)
        await self.emit(Status.QUEUED)
        return True

    async def take_account_slot(self) -> bool:
        """Hold one of the account's slots in the database (other processes on it count too),
        waiting with backoff while they are all taken; False if canceled or timed out meanwhile."""
        self.awaiting_account = True  # woken at once when another process frees a slot (PostgreSQL)
        try:
            return await self._claim_account_slot()
        finally:
            self.awaiting_account = False

    async def _claim_account_slot(self) -> bool:
        attempt = 0
        while not await self.db(self.policy.account.claim, self.g.id):
            if attempt == 0:
                await self.emit(Status.PENDING, "the account's slots are taken by other processes", ACCOUNT_BUSY)
            if self.canceled():
                await self.end(Status.CANCELED, "canceled before submission", error_code="canceled")
                return False
            if time.monotonic() > self.deadline:
                await self.end(Status.TIMED_OUT, "no free slot on the account in time", error_code="timed_out")
                return False
            attempt += 1
            await self.sleep(min(ACCOUNT_POLL_MAX, ACCOUNT_POLL_FIRST * 2 ** min(attempt, 6)))
        return True

    async def reference_urls(self) -> list[str]:
        """Upload the references once and remember their URLs: a resumed submit must send the
        same body, or Higgsfield refuses the Idempotency-Key (422)."""
        if self.g.reference_urls is not None or not self.g.references:
            return list(self.g.reference_urls or [])
        await self.set_status(Status.UPLOADING)
        urls = [await self.upload(path) for path in self.g.references]
        # The first stored set wins, should another process have uploaded them too.
        self.g = await self.db(self.rows.store_reference_urls, self.g.id, urls)
        return list(self.g.reference_urls or urls)

    async def upload(self, relative: str) -> str:
        path = await asyncio.to_thread(self.store.locate, relative)
        if not path.is_file():
            raise InvalidInput(f"Reference {path.name} is gone from the file store.")
        data = await asyncio.to_thread(path.read_bytes)
        content_type = await asyncio.to_thread(_content_type, path, CONTENT_TYPES)  # Pillow: off the loop
        return await self.client().upload(data, content_type)

    async def follow(self) -> None:
        policy = self.policy.poll
        delays = policy.delays()
        last = self.g.status
        unreachable = False
        if self.policy.webhook_url and last == Status.QUEUED:
            # Just submitted, and Higgsfield will call us when it ends: no status call until
            # the webhook wakes us (or the slow safety poll comes round).
            await self.sleep(min(next(delays), max(0.0, self.deadline - time.monotonic())))
        while True:
            try:
                pushed = self.take_pushed()
                status = pushed or await self.client().status(self.g.request_id, self.g.status_url)
            except HiggsfieldError as exc:
                if not exc.retryable:
                    await self.end(Status.FAILED, exc.message, error_code=exc.code)
                    return
                log.warning("generation %s: status check failed (%s); retrying", self.g.id, exc.message)
                unreachable = True
                await self.emit(self.g.status, f"the service is unreachable, retrying: {exc.message}",
                                SERVICE_UNREACHABLE)
                status = None
            if status is not None and (status.status.value != last or unreachable):
                unreachable = False
                last = status.status.value
                if status.status is Upstream.COMPLETED:
                    await self.complete(status.image_urls, from_webhook=status is pushed)
                    return
                if status.status.terminal:
                    await self.end(last, status.error, error_code=UPSTREAM_CODES.get(last))
                    return
                await self.set_status(last)
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                await self.time_out()
                return
            await self.sleep(min(next(delays), remaining))

    async def complete(self, urls: tuple[str, ...], *, from_webhook: bool = False) -> None:
        if not urls:
            await self.end(Status.FAILED, "the generation finished without an image", error_code="no_image")
            return
        self.release_slot(completed=True)  # a finished request no longer counts against the account's limit
        await self.db(self.rows.mark_downloading, self.g.id)
        self.g.status = Status.DOWNLOADING
        await self.emit(Status.DOWNLOADING)
        await self.store_results(urls, from_webhook=from_webhook)

    async def time_out(self) -> None:
        if self.g.status == Status.QUEUED:
            try:
                await self.client().cancel(self.g.request_id, self.g.cancel_url)
            except HiggsfieldError:
                pass
        await self.end(Status.TIMED_OUT, f"no result after {self.policy.generation_timeout:.0f} s",
                       error_code="timed_out")

    async def on_interrupt(self) -> None:
        """The caller cancelled us (Ctrl-C, shutdown). Cancel upstream if still possible;
        a job already generating stays open and is finished by the next resume."""
        current = await self.reload()
        if current.status in TERMINAL:
            return
        if self.keep_on_interrupt:
            return  # a service restarting: the next resume_unfinished carries every open job on
        if current.submitted_at is None or (current.request_id is None and not self.maybe_created):
            await self.end(Status.CANCELED, "interrupted before submission", error_code="canceled")
            return
        if current.request_id is None:
            # The submit's answer is unknown: the next resume repeats it under the same key.
            return
        if current.status == Status.QUEUED:
            try:
                if await self.client().cancel(current.request_id, current.cancel_url):
                    await self.end(Status.CANCELED, "interrupted while queued", error_code="canceled")
            except HiggsfieldError as exc:
                log.warning("generation %s: cancel failed: %s", self.g.id, exc.message)

    # --- helpers ---------------------------------------------------------------------

    def canceled(self) -> bool:
        return self.cancel_requested()

    def push(self, status: RequestStatus | None) -> None:
        """A webhook about our request: wake up; a finished image it names is taken as the
        status (it was signed with the account's secret), anything else is asked for."""
        if status is not None and status.request_id == self.g.request_id:
            self.pushed = status
        self.wakeup.set()

    def take_pushed(self) -> RequestStatus | None:
        pushed, self.pushed = self.pushed, None
        if pushed is not None and pushed.status is Upstream.COMPLETED and pushed.image_urls:
            return pushed
        return None  # a failure or NSFW releases credits: that the API itself confirms

    async def sleep(self, seconds: float) -> None:
        """Sleep, but wake early when someone cancels this job."""
        try:
            async with asyncio.timeout(max(0.0, seconds)):  # no extra task per sleep, unlike wait_for
                await self.wakeup.wait()
        except TimeoutError:
            pass
        self.wakeup.clear()

    async def set_status(self, status: str) -> None:
        if status != self.g.status:
            await self.db(self.rows.update, self.g.id, status=status)
            self.g.status = status
        await self.emit(status)

    async def end(self, status: str, error: str | None, files: list[str] | None = None, *,
                  error_code: str | None = None) -> None:
        """Record the terminal status (with ``error_code``: why it ended) and settle the credits."""
        self.g = await self.db(self.rows.finish_and_get, self.g.id, status, error, files, error_code)
        log.info("generation %s ended %s%s", self.g.id, self.g.status, f": {error}" if error else "")
        await self.emit(self.g.status, self.g.error, self.g.error_code)

    async def reload(self) -> Generation:
        return await self.db(self.rows.get, self.g.id)

    async def emit(self, status: str, detail: str | None = None, code: str | None = None, *,
                   position: int | None = None, eta: float | None = None) -> None:
        if self.on_event is None:
            return
        try:
            result = self.on_event(JobEvent(self.g.id, status, detail, code, position, eta))
            if inspect.isawaitable(result):
                await result
        except Exception:  # a face's rendering bug must never stop a paid job
            log.exception("event handler failed for generation %s", self.g.id)


def _content_type(path: Path, types: dict[str, str]) -> str:
    from PIL import Image

    with Image.open(path) as image:
        return types.get(image.format or "", "image/png")
