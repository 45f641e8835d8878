"""Jobs → one status message edited as they move → the result as a photo and as a file.

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
process keeps about each job it follows is one record (tracking.py). The result goes first:
``deliver`` stops the job's progress task, sends the photo and the file, and only then edits
the status message to its final text.
"""

from __future__ import annotations

import asyncio
import logging
import math
from pathlib import Path

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from higgsctl.engine import TERMINAL, Engine, Generation
from higgsctl.engine.backoff import Backoff

from . import keyboards
from .media import document_limit, photo_bytes, too_large
from .progress import Progress
from .services import db
from .texts import outcome_key, t
from .tracking import Target, Tracker

log = logging.getLogger("higgsctl.bot.delivery")

RETRY_BASE = 5.0  # seconds before the sweep retries a failed delivery; doubles per failure, at most 5 min
RETRY_MAX = 300.0


class Delivery:
    def __init__(self, app: Application, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.retry_base = RETRY_BASE  # also the first wait before a failed job task is followed again
        self.document_max_bytes = document_limit(engine.settings.telegram.api_base_url)
        self.tracker = Tracker(app, engine)
        self.progress = Progress(self.tracker)

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
                await self.engine.generations.execute(generation_id, self.progress.on_event, keep_on_interrupt=True)
                break
            except Exception as exc:
                failures += 1
                delay = self._backoff(failures)
                log.error("generation %s: job task failed; following it again in %.1f s\n%s", generation_id, delay,
                          self.engine.redactor.exception(exc))
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
        """Whether a sweep may retry this delivery now (failed sends back off)."""
        record = self.tracker.records.get(generation_id)
        return record is None or record.retry_at <= asyncio.get_running_loop().time()

    async def deliver(self, generation_id: int) -> None:
        """Tell the user how the job ended (result or plain-words failure), then claim it."""
        record = self.tracker.record(generation_id)
        if record.delivering:
            return
        record.delivering = True
        try:
            generation = await db(self.engine.generations.get, generation_id)
            if generation.status not in TERMINAL:
                return
            await self.progress.end(generation_id)  # no progress edit or chat action after the outcome
            if generation.delivered_at is not None:
                self.tracker.forget(generation_id)
                return
            if generation.chat_id is not None:
                try:
                    await self._send_outcome(generation)
                except (Forbidden, BadRequest) as exc:  # the chat refuses it: retrying can't help
                    log.warning("generation %s: result not deliverable: %s", generation_id, exc.message)
                except TelegramError as exc:  # network, timeouts, 5xx: stays unclaimed, retried later
                    delay = self._retry_later(generation_id)
                    log.warning("generation %s: delivery failed (%s); will retry in %.1f s", generation_id, exc, delay)
                    return
                except Exception as exc:  # a bug, an unreadable file, the disk: logged, retried later
                    delay = self._retry_later(generation_id)
                    log.error("generation %s: delivery failed; will retry in %.1f s\n%s", generation_id, delay,
                              self.engine.redactor.exception(exc))
                    return
            if not await db(self.engine.generations.mark_delivered, generation_id):
                log.warning("generation %s: another process delivered it too", generation_id)
            self.tracker.forget(generation_id)
        finally:
            record.delivering = False

    def _retry_later(self, generation_id: int) -> float:
        """Schedule the sweep's next try of a failed delivery (backing off); returns the delay."""
        record = self.tracker.record(generation_id)
        record.failures += 1
        delay = self._backoff(record.failures)
        record.retry_at = asyncio.get_running_loop().time() + delay
        return delay

    async def _send_outcome(self, generation: Generation) -> None:
        gid = generation.id
        target = await self.tracker.target(gid)
        balance = await db(self.engine.credits.balance, generation.user_id)
        if generation.status == "completed":  # the result first, then the status message says done
            await self.send_result(generation, target.lang, balance, record=True)
            await self.tracker.show(gid, target, t(target.lang, "st_completed", id=gid))
            return
        text = t(target.lang, outcome_key(generation.status, generation.error_code), id=gid, cost=generation.cost,
                 balance=balance)
        if not await self.tracker.show(gid, target, text) and generation.delivered_parts < 1:
            with self.tracker.calling():
                await self.app.bot.send_message(generation.chat_id, text)
            await db(self.engine.generations.mark_part_delivered, gid, 0)

    async def send_result(self, generation: Generation, lang: str, balance: int, chat_id: int | None = None, *,
                          record: bool = False) -> None:
        """The result as a photo (with buttons) and as the original file, from local storage.
        ``record``: the job's own delivery: skip the parts the database says already arrived
        and record each part as it arrives (photo ``2i``, file ``2i + 1`` of result file i)."""
        done = generation.delivered_parts if record else 0
        chat_id = chat_id or generation.chat_id
        spec = self.engine.settings.models.get(generation.model)
        caption = t(lang, "result_caption", label=spec.label if spec else generation.model,
                    aspect=generation.aspect_ratio, id=generation.id, cost=generation.cost, balance=balance)
        paths = [self.engine.store.inside(Path(p)) for p in generation.result_files]
        if not paths or not all(p.is_file() for p in paths):
            with self.tracker.calling():
                await self.app.bot.send_message(chat_id, t(lang, "file_gone", id=generation.id))
            return
        for index, path in enumerate(paths):
            first = index == 0  # the caption and the buttons go under the first photo
            headline = first  # ...or, when that photo can't be shown, under the first file
            if 2 * index >= done:
                try:
                    photo = await asyncio.to_thread(photo_bytes, path)
                except Exception as exc:  # Pillow can't read it: the file below still carries the result
                    log.warning("generation %s: no photo preview of %s (%s: %s); sending the file only",
                                generation.id, path.name, type(exc).__name__, exc)
                    photo = None
                if photo is not None:
                    try:
                        with self.tracker.calling():
                            await self.app.bot.send_photo(chat_id, photo, caption=caption if first else None,
                                                          reply_markup=keyboards.result(lang, generation.id) if first else None)
                        headline = False
                    except BadRequest as exc:  # the preview is refused: the file below still carries the result
                        log.warning("generation %s: photo refused (%s); sending the file only", generation.id, exc.message)
                    except TelegramError as exc:
                        if not too_large(exc):
                            raise
                        log.warning("generation %s: photo refused (%s); sending the file only", generation.id, exc)
                if record:
                    await db(self.engine.generations.mark_part_delivered, generation.id, 2 * index)
            else:
                headline = False  # the photo (and its buttons) arrived before a restart
            if 2 * index + 1 >= done:
                await self._send_file(generation, path, index, lang, chat_id,
                                      headline=caption if headline else None)
                if record:
                    await db(self.engine.generations.mark_part_delivered, generation.id, 2 * index + 1)

    async def _send_file(self, generation: Generation, path: Path, index: int, lang: str, chat_id: int,
                         headline: str | None = None) -> None:
        """The original file; one over the Bot API's upload limit (or refused as too large)
        is replaced by a short note: it stays in the store, and retrying can't help.
        ``headline``: the result's caption, whose buttons then go under the file (or the note)
        because no photo could carry them."""
        markup = keyboards.result(lang, generation.id) if headline else None
        size = (await asyncio.to_thread(path.stat)).st_size
        if size <= self.document_max_bytes:
            data = await asyncio.to_thread(path.read_bytes)
            name = f"higgsfield-{generation.id}-{index + 1}{path.suffix}"
            try:
                with self.tracker.calling():
                    await self.app.bot.send_document(chat_id, data, filename=name, reply_markup=markup,
                                                     caption=headline or t(lang, "original_caption", id=generation.id))
                return
            except TelegramError as exc:
                if not too_large(exc):
                    raise
                log.warning("generation %s: file %s refused as too large (%s)", generation.id, name, exc)
        else:
            log.warning("generation %s: file %s (%d bytes) is over the upload limit (%d bytes)",
                        generation.id, path.name, size, self.document_max_bytes)
        with self.tracker.calling():
            note = t(lang, "file_too_large", id=generation.id, size=max(1, math.ceil(size / (1024 * 1024))))
            await self.app.bot.send_message(chat_id, f"{headline}\n\n{note}" if headline else note, reply_markup=markup)
