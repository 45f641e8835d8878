"""Jobs → one status message edited as they move → the result as a photo and as a file.

Exactly-once delivery. The order is *send, then claim*: ``mark_delivered`` is a conditional
UPDATE (``WHERE delivered_at IS NULL``) that only one caller wins, and it runs after the
result reached Telegram; claiming first would lose the result for good whenever the process
died or Telegram failed between claim and send, and a paid result must never be lost. Each
part of the outcome (the photo, the file) is recorded in the database right after Telegram
accepts it (``mark_part_delivered``), so a delivery that starts again, after a failed send
or a crash, sends only the parts that are missing: the most a crash can repeat is the one
part whose acceptance was not written yet. Inside one process a set of in-flight ids keeps
the job's own task and the notifier's sweep from sending the same result twice, and a result
already claimed in the database is never sent again.

Progress never waits on Telegram. The engine awaits ``on_event`` between its own steps
(submit, poll, download), and every Bot API call with a chat_id waits its turn in
AIORateLimiter's queue (~30 calls/s for the whole bot): ``on_event`` only records the job's
newest state, and one background task per job draws it. That task edits the status message
at most once every ``EDIT_EVERY`` seconds (intermediate states coalesce; the newest is always
drawn) and keeps the upload_photo chat action alive (one per chat every ``ACTION_EVERY``
seconds, skipped while the bot's own calls queue up: it is decoration, the status message
says the same). The result goes first: ``deliver`` stops the job's task, sends the photo and
the file, and only then edits the status message to its final text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from higgsctl.engine import TERMINAL, Engine, Generation, JobEvent
from higgsctl.engine.backoff import Backoff

from . import keyboards
from .media import document_limit, photo_bytes, too_large
from .services import db
from .texts import outcome_key, progress_key, t

log = logging.getLogger("higgsctl.bot.delivery")

ACTION_EVERY = 5.0  # a chat action shows for 5 s; at most one per chat in that time
EDIT_EVERY = 4.0  # seconds between two edits of one job's status message; states in between coalesce
ACTION_BUSY = 20  # our Telegram calls in flight beyond which a chat action is skipped (~2/3 s of pacing)
RETRY_BASE = 5.0  # seconds before the sweep retries a failed delivery; doubles per failure, at most 5 min
RETRY_MAX = 300.0
@dataclass
class Target:
    chat_id: int
    message_id: int | None
    lang: str


@dataclass
class Progress:
    """A running job's newest state (set by ``on_event``) and the task that draws it."""

    status: str
    code: str | None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    chat_id: int | None = None
    drawn: str | None = None  # the text last sent (or tried: a refused edit is not repeated)
    edited_at: float = -math.inf  # loop time when that edit ended
    started: bool = False
    ended: bool = False

    def end(self) -> None:
        """Stop the task: cancel it mid-call (a queued edit or chat action leaves the rate
        limiter's queue), or, before it ran, let it return at once (a coroutine cancelled
        before its first step is never awaited)."""
        self.ended = True
        self.wake.set()
        if self.task is not None and self.started:
            self.task.cancel()


class Delivery:
    def __init__(self, app: Application, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.stopping = False
        self.retry_base = RETRY_BASE  # also the first wait before a failed job task is followed again
        self.document_max_bytes = document_limit(engine.settings.telegram.api_base_url)
        self.tasks: set[asyncio.Task] = set()
        self._progress: dict[int, Progress] = {}
        self._action_due: dict[int, float] = {}  # chat id -> loop time its next chat action may go
        self._busy = 0  # our Telegram calls in flight (waiting in the rate limiter or on the wire)
        self._targets: dict[int, Target] = {}
        self._shown: dict[int, str] = {}
        self._delivering: set[int] = set()
        self._retry_at: dict[int, tuple[int, float]] = {}

    # --- running jobs ----------------------------------------------------------------

    def launch(self, generation_id: int, target: Target | None = None) -> bool:
        """Run a created job in the background; never awaited by a handler. ``target``: where
        its status message is (saves looking it up). The job's first event draws that message.
        False when stopping: the job stays pending in the database and the next start resumes it."""
        if self.stopping:
            return False
        if target is not None:
            self._targets[generation_id] = target
        self._spawn(self._follow(generation_id), f"bot-generation-{generation_id}")
        return True

    async def resume(self) -> int:
        """Finish what a previous process left running; each resumed job delivers as usual."""
        pending = await db(self.engine.generations.unfinished, "bot")
        resumed = sum(self.launch(g.id) for g in pending)
        if resumed:
            log.info("resuming %d unfinished generation(s)", resumed)
        return resumed

    def _track(self, task: asyncio.Task) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _spawn(self, coro, name: str) -> asyncio.Task:
        # Application.create_task routes errors to the error handler, but only while running.
        if self.app.running:
            task = self.app.create_task(coro, name=name)
        else:
            task = asyncio.create_task(self._logged(coro), name=name)
        self._track(task)
        return task

    async def _logged(self, coro) -> None:
        try:
            await coro
        except Exception as exc:
            log.error("background delivery task failed\n%s", self.engine.redactor.exception(exc))

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
                await self.engine.generations.execute(generation_id, self.on_event, keep_on_interrupt=True)
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
        self.stopping = True
        drawing = {p.task for p in self._progress.values() if p.task is not None}
        for progress in self._progress.values():
            progress.end()
        tasks = list(self.tasks)  # the jobs with their deliveries, and the progress tasks
        for task in tasks:
            if task not in drawing:
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # A status edit not drawn yet is not lost: a resumed job emits its state again.
        self._progress.clear()

    # --- progress --------------------------------------------------------------------

    def on_event(self, event: JobEvent) -> None:
        """The engine calls this between a job's steps: record the state, never wait on Telegram."""
        gid = event.generation_id
        if event.terminal:  # deliver() renders the outcome, after the result
            progress = self._progress.get(gid)
            if progress is not None:
                progress.end()  # deliver() waits for it to end
            return
        if self.stopping:
            return
        progress = self._progress.get(gid)
        if progress is None:
            progress = self._progress[gid] = Progress(event.status, event.code)
        else:
            progress.status, progress.code = event.status, event.code
        if progress.task is None or progress.task.done():
            progress.task = self._spawn(self._draw(gid, progress), f"bot-progress-{gid}")
        else:
            progress.wake.set()

    async def _draw(self, generation_id: int, progress: Progress) -> None:
        """A job's progress task: the newest state on its status message (at most one edit per
        EDIT_EVERY seconds) and the chat action (per chat, every ACTION_EVERY seconds)."""
        progress.started = True
        if progress.ended:
            return
        target = await self._target(generation_id)
        if target is None:
            return
        progress.chat_id = target.chat_id
        loop = asyncio.get_running_loop()
        while not progress.ended:
            now = loop.time()
            text = t(target.lang, progress_key(progress.status, progress.code), id=generation_id)
            changed = target.message_id is not None and text != progress.drawn
            if changed and now >= progress.edited_at + EDIT_EVERY:
                progress.drawn = text
                await self._show(generation_id, target, text,
                                 keyboards.job_status(target.lang, generation_id, progress.status))
                progress.edited_at = loop.time()
                continue
            action_due = self._action_due.get(target.chat_id, -math.inf)
            if now >= action_due:
                self._action_due[target.chat_id] = now + ACTION_EVERY
                if self._busy < ACTION_BUSY:  # else Telegram is the bottleneck: it would only delay results
                    await self._send_action(target.chat_id)
                continue
            wake_at = min(action_due, progress.edited_at + EDIT_EVERY) if changed else action_due
            progress.wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wake_at - now):  # a new state wakes us early
                    await progress.wake.wait()

    async def _send_action(self, chat_id: int) -> None:
        try:
            with self._calling():
                await self.app.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        except TelegramError as exc:
            log.debug("chat action failed: %s", exc)

    async def _end_progress(self, generation_id: int) -> None:
        """Stop a job's progress task (edits and chat action) and wait until it has ended."""
        progress = self._progress.pop(generation_id, None)
        if progress is None or progress.task is None:
            return
        progress.end()
        await asyncio.gather(progress.task, return_exceptions=True)
        chat = progress.chat_id
        if chat is not None and not any(p.chat_id == chat for p in self._progress.values()):
            self._action_due.pop(chat, None)

    @contextlib.contextmanager
    def _calling(self) -> Iterator[None]:
        self._busy += 1
        try:
            yield
        finally:
            self._busy -= 1

    async def _target(self, generation_id: int) -> Target | None:
        target = self._targets.get(generation_id)
        if target is None:
            generation = await db(self.engine.generations.get, generation_id)
            if generation.chat_id is None:
                return None
            user = await db(self.engine.users.get, generation.user_id)
            target = Target(generation.chat_id, generation.status_message_id, user.language)
            self._targets[generation_id] = target
        return target

    async def _show(self, generation_id: int, target: Target, text: str, markup=None) -> bool:
        """Edit the job's status message; False if there is none or it can't be edited."""
        if target.message_id is None:
            return False
        if self._shown.get(generation_id) == text:
            return True
        try:
            with self._calling():
                await self.app.bot.edit_message_text(text, chat_id=target.chat_id, message_id=target.message_id,
                                                     reply_markup=markup)
        except BadRequest as exc:
            if "not modified" not in exc.message:
                log.info("generation %s: status message not edited: %s", generation_id, exc.message)
                return False
        except TelegramError as exc:
            log.warning("generation %s: status message not edited: %s", generation_id, exc)
            return False
        self._shown[generation_id] = text
        return True

    # --- delivering ------------------------------------------------------------------

    def due(self, generation_id: int) -> bool:
        """Whether a sweep may retry this delivery now (failed sends back off)."""
        entry = self._retry_at.get(generation_id)
        return entry is None or entry[1] <= asyncio.get_running_loop().time()

    async def deliver(self, generation_id: int) -> None:
        """Tell the user how the job ended (result or plain-words failure), then claim it."""
        if generation_id in self._delivering:
            return
        self._delivering.add(generation_id)
        try:
            generation = await db(self.engine.generations.get, generation_id)
            if generation.status not in TERMINAL:
                return
            await self._end_progress(generation_id)  # no progress edit or chat action after the outcome
            if generation.delivered_at is not None:
                self._forget(generation_id)
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
            self._forget(generation_id)
        finally:
            self._delivering.discard(generation_id)

    def _retry_later(self, generation_id: int) -> float:
        """Schedule the sweep's next try of a failed delivery (backing off); returns the delay."""
        tries = self._retry_at.get(generation_id, (0, 0.0))[0] + 1
        delay = self._backoff(tries)
        self._retry_at[generation_id] = (tries, asyncio.get_running_loop().time() + delay)
        return delay

    def _forget(self, generation_id: int) -> None:
        for cache in (self._targets, self._shown, self._retry_at):
            cache.pop(generation_id, None)

    async def _send_outcome(self, generation: Generation) -> None:
        gid = generation.id
        target = await self._target(gid)
        balance = await db(self.engine.credits.balance, generation.user_id)
        if generation.status == "completed":  # the result first, then the status message says done
            await self.send_result(generation, target.lang, balance, record=True)
            await self._show(gid, target, t(target.lang, "st_completed", id=gid))
            return
        text = t(target.lang, outcome_key(generation.status, generation.error_code), id=gid, cost=generation.cost,
                 balance=balance)
        if not await self._show(gid, target, text) and generation.delivered_parts < 1:
            with self._calling():
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
            with self._calling():
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
                        with self._calling():
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
                with self._calling():
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
        with self._calling():
            note = t(lang, "file_too_large", id=generation.id, size=max(1, math.ceil(size / (1024 * 1024))))
            await self.app.bot.send_message(chat_id, f"{headline}\n\n{note}" if headline else note, reply_markup=markup)
