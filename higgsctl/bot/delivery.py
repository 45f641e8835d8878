"""Jobs → one status message edited as they move → the result (that message turned into the
photo, and the file) or the outcome as a new message; a batch's images as two albums.

Exactly-once delivery. The order is *send, then claim*: ``mark_delivered`` is a conditional
UPDATE (``WHERE delivered_at IS NULL``) that only one caller wins, and it runs after the
result reached Telegram; claiming first would lose the result for good whenever the process
died or Telegram failed between claim and send, and a paid result must never be lost. Each
part of the outcome (the photo, the file) is recorded in the database right after Telegram
accepts it (``mark_part_delivered``), so a delivery that starts again, after a failed send
or a crash, sends only the parts that are missing: the most a crash can repeat is the one
part whose acceptance was not written yet. Inside one process a flag on the job's record keeps
the job's own task and the notifier's sweep from sending the same result twice, and a result
already claimed in the database is never sent again.

Progress on the status message while the job runs is drawn by progress.py; what this
process keeps about each job it follows is one record (tracking.py). ``deliver`` stops the
job's progress task, then sends the outcome: the result (result_sender.py) or a notice
(outcome_notice.py). The generations of one batch are delivered together, once every one of
them has ended, through the batch's first generation (its lead): its row records the parts
(photos 0, files 1, the notice of the images that could not be made 2), its record in this
process keeps two deliveries of the batch from running at once, and the lead is claimed
first, then its siblings.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from higgsctl.engine import TERMINAL, Engine, Generation
from higgsctl.engine.backoff import Backoff

from . import keyboards
from .media import document_limit
from .outcome_notice import OutcomeNotice
from .progress import Progress
from .result_sender import Parts, ResultSender
from .services import db
from .texts import t
from .tracking import Tracker

log = logging.getLogger("higgsctl.bot.delivery")

RETRY_BASE = 5.0  # seconds before the sweep retries a failed delivery; doubles per failure, at most 5 min
RETRY_MAX = 300.0


class Delivery:
    def __init__(self, app: Application, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.retry_base = RETRY_BASE  # also the first wait before a failed job task is followed again
        self.tracker = Tracker(app, engine)
        self.progress = Progress(self.tracker)
        self.results = ResultSender(app, engine, self.tracker, document_limit(engine.settings.telegram.api_base_url))
        self.notice = OutcomeNotice(app, engine, self.tracker)

    @property
    def document_max_bytes(self) -> int:
        return self.results.document_max_bytes

    @document_max_bytes.setter
    def document_max_bytes(self, value: int) -> None:
        self.results.document_max_bytes = value

    @property
    def stopping(self) -> bool:
        return self.tracker.stopping

    # --- running jobs ----------------------------------------------------------------

    def launch(self, generation_id: int, target: Target | None = None) -> bool:
        """Run a created job in the background; never awaited by a handler. ``target``: where
        its status message is (saves looking it up). The job's first event draws that message.
        False when stopping: the job stays pending in the database and the next start resumes it."""
        if self.stopping:
            return False
        if target is not None:
            self.tracker.record(generation_id).target = target
        self.tracker.spawn(self._follow(generation_id), f"bot-generation-{generation_id}")
        return True

    async def resume(self) -> int:
        """Finish what a previous process left running; each resumed job delivers as usual."""
        pending = await db(self.engine.generations.takeable, "bot")  # ours, or nobody's (leases)
        resumed = sum(self.launch(gid) for gid in pending)
        if resumed:
            log.info("resuming %d unfinished generation(s)", resumed)
        return resumed

    def _backoff(self, failures: int) -> float:
        return Backoff(self.retry_base, RETRY_MAX).delay(failures)

    async def _follow(self, generation_id: int) -> None:
        """Run the job to its end, then deliver it. A job task that raises (a bug, the database
        locked while recording the outcome) is run again after a pause (RETRY_BASE doubling
        to RETRY_MAX): ``execute`` resumes from the database, so the row is never left active,
        its credits held, with nobody following it."""
        failures = 0
        while True:
            try:
                await self.tracker.learn_batch(generation_id)
                await self.engine.generations.execute(generation_id, self.progress.on_event, keep_on_interrupt=True)
                break
            except Exception as exc:
                failures += 1
                delay = self._backoff(failures)
                log.error("generation %s: job task failed; following it again in %.1f s", generation_id, delay, exc_info=exc)
                await asyncio.sleep(delay)
                if self.stopping:  # the next start resumes it
                    return
        await self.deliver(generation_id)

    async def stop(self) -> None:
        """Shut down: jobs already generating stay open and resume on the next start (the
        engine cancels a queued one upstream and releases its hold)."""
        self.tracker.stopping = True
        drawing = self.progress.tasks()
        self.progress.end_all()
        tasks = list(self.tracker.tasks)  # the jobs with their deliveries, and the progress tasks
        for task in tasks:
            if task not in drawing:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for record in self.tracker.records.values():
            record.drawing = None

    # --- delivering ------------------------------------------------------------------

    def due(self, generation_id: int) -> bool:
        """Whether a sweep may retry this delivery now (failed sends back off; a batch's
        retries are timed on its lead)."""
        record = self.tracker.records.get(self.tracker.lead_of(generation_id))
        return record is None or record.retry_at <= asyncio.get_running_loop().time()

    async def deliver(self, generation_id: int) -> None:
        """Tell the user how the job ended (result or plain-words failure), then claim it; a
        batch's generation: once all of its batch have ended, all of them together."""
        record = self.tracker.record(generation_id)
        if record.delivering:
            record.recheck = True
            return
        record.delivering = True
        try:
            generation = await db(self.engine.generations.get, generation_id)
            if generation.batch is None:
                await self._deliver([generation])
                return
            rows = await db(self.engine.generations.batch, generation.batch)
            if rows[0].id == generation_id:
                await self._deliver_batch(rows, record)
                return
            lead = self.tracker.record(rows[0].id)
            if lead.delivering:  # the batch's delivery under way looks again before it stops
                lead.recheck = True
                return
            lead.delivering = True
            try:
                await self._deliver_batch(await db(self.engine.generations.batch, generation.batch), lead)
            finally:
                lead.delivering = False
        finally:
            record.delivering = False

    async def _deliver_batch(self, rows: list[Generation], lead) -> None:
        """Deliver a batch whose lead's flag this call holds; a sibling that ended meanwhile
        (and found the flag taken) makes it read the rows again."""
        while True:
            lead.recheck = False
            if await self._deliver(rows) or not lead.recheck:
                return
            rows = await db(self.engine.generations.batch, rows[0].batch)

    async def _deliver(self, rows: list[Generation]) -> bool:
        """Deliver one generation, or a batch once every one of its generations has ended
        (False while some have not: the last to end delivers them all)."""
        lead = rows[0]
        if any(g.status not in TERMINAL for g in rows):
            return False
        for generation in rows:
            await self.progress.end(generation.id)  # no progress edit or chat action after the outcome
        if lead.delivered_at is None and lead.chat_id is not None:
            try:
                await self._send_outcome(rows)
            except (Forbidden, BadRequest) as exc:  # the chat refuses it: retrying can't help
                log.warning("generation %s: result not deliverable: %s", lead.id, exc.message)
            except TelegramError as exc:  # network, timeouts, 5xx: stays unclaimed, retried later
                delay = self._retry_later(lead.id)
                log.warning("generation %s: delivery failed (%s); will retry in %.1f s", lead.id, exc, delay)
                return True
            except Exception as exc:  # a bug, an unreadable file, the disk: logged, retried later
                delay = self._retry_later(lead.id)
                log.error("generation %s: delivery failed; will retry in %.1f s", lead.id, delay, exc_info=exc)
                return True
        if lead.delivered_at is None and not await db(self.engine.generations.mark_delivered, lead.id):
            log.warning("generation %s: another process delivered it too", lead.id)
        for sibling in rows[1:]:
            await db(self.engine.generations.mark_delivered, sibling.id)
        for generation in rows:
            self.tracker.forget(generation.id)
        return True

    def _retry_later(self, generation_id: int) -> float:
        """Schedule the sweep's next try of a failed delivery (backing off); returns the delay."""
        record = self.tracker.record(generation_id)
        record.failures += 1
        delay = self._backoff(record.failures)
        record.retry_at = asyncio.get_running_loop().time() + delay
        return delay

    async def _send_outcome(self, rows: list[Generation]) -> None:
        lead = rows[0]
        target = await self.tracker.target(lead.id)
        balance = await db(self.engine.credits.balance, lead.user_id)
        parts = Parts(self.engine, lead.id, lead.delivered_parts)
        made = [g for g in rows if g.status == "completed"]
        failed = [g for g in rows if g.status != "completed"]
        if len(rows) == 1 and failed:
            await self.notice.single(lead, target, balance, parts)
            return
        if len(rows) == 1 or (len(made) == 1 and len(made[0].result_files) <= 1):  # one: the status becomes it
            became = await self.results.send_result(made[0], target.lang, balance, parts=parts,
                                                    status_id=target.message_id)
        elif made:
            await self.results.send_albums(made, target.lang, balance, target.chat_id, parts)
            became = False
        else:
            became = False
        await self.notice.batch(failed, len(rows), target, balance, parts, part=2)
        if became:
            return
        if len(rows) == 1:
            await self.tracker.show(lead.id, target, t(target.lang, "st_completed", id=lead.id))
        else:
            key = "batch_done" if made else "batch_none"
            markup = keyboards.result(target.lang, made[0].id, self.results.repeat_price(made[0])) if made else None
            await self.tracker.show(lead.id, target, t(target.lang, key, first=rows[0].id, last=rows[-1].id,
                                                       ready=len(made), count=len(rows)), markup)

    async def send_result(self, generation: Generation, lang: str, balance: int, chat_id: int | None = None) -> None:
        """A result sent again (from /history): photo and file as new messages, nothing recorded."""
        await self.results.send_result(generation, lang, balance, chat_id)
