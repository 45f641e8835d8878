"""A running job's progress on its status message, never waiting on Telegram.

The engine awaits ``on_event`` between its own steps (submit, poll, download), and every Bot
API call with a chat_id waits its turn in AIORateLimiter's queue (~30 calls/s for the whole
bot): ``on_event`` only records the job's newest state, and one background task per job
draws it. That task edits the status message at most once every ``EDIT_EVERY`` seconds
(intermediate states coalesce; the newest is always drawn) and keeps the upload_photo chat
action alive (one per chat every ``ACTION_EVERY`` seconds, skipped while the bot's own calls
queue up: it is decoration, the status message says the same). The outcome is not drawn
here: delivery (delivery.py) ends the job's task, sends the result, then edits the message.

A job waiting in the fair queue (JobEvent code IN_LINE) shows its place sparsely: the line
changes only when the position crosses a step of ``LINE_STEPS`` ("3rd in line"; "no further
back than 20th" from 20 down to 14), and such a change (or the job leaving the line) is drawn
within ``LINE_EDIT_EVERY`` seconds of the previous edit instead of ``EDIT_EVERY``: a job that
waits behind 900 others costs about 13 edits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from dataclasses import dataclass, field

from telegram.constants import ChatAction
from telegram.error import TelegramError

from higgsctl.engine import JobEvent
from higgsctl.engine.events import IN_LINE
from higgsctl.engine.generations.queue import rounded_duration

from . import keyboards
from .texts import progress_key, t
from .texts.queue import place
from .tracking import Tracker

log = logging.getLogger("higgsctl.bot.delivery")

ACTION_EVERY = 5.0  # a chat action shows for 5 s; at most one per chat in that time
EDIT_EVERY = 4.0  # seconds between two edits of one job's status message; states in between coalesce
ACTION_BUSY = 20  # our Telegram calls in flight beyond which a chat action is skipped (~2/3 s of pacing)
LINE_STEPS = (1, 2, 3, 5, 8, 13, 20, 30, 50, 100, 200, 500, 1000)  # queue positions that are redrawn
LINE_EDIT_EVERY = 1.0  # seconds between two edits when the queue position crossed a step


@dataclass
class Drawing:
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
    line: tuple[str, int] | None = None  # IN_LINE: the step shown (line_step), else None
    line_eta: float | None = None  # the estimate when that step was reached
    line_drawn: bool = False  # the message shows a place in line (leaving the line is drawn as fast)

    def end(self) -> None:
        """Stop the task: cancel it mid-call (a queued edit or chat action leaves the rate
        limiter's queue), or, before it ran, let it return at once (a coroutine cancelled
        before its first step is never awaited)."""
        self.ended = True
        self.wake.set()
        if self.task is not None and self.started:
            self.task.cancel()


class Progress:
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker
        self._action_due: dict[int, float] = {}  # chat id -> loop time its next chat action may go

    def on_event(self, event: JobEvent) -> None:
        """The engine calls this between a job's steps: record the state, never wait on Telegram."""
        gid = event.generation_id
        record = self.tracker.records.get(gid)
        drawing = record.drawing if record is not None else None
        if event.terminal:  # delivery renders the outcome, after the result
            if drawing is not None:
                drawing.end()  # delivery waits for it to end
            return
        if self.tracker.stopping:
            return
        if drawing is None:
            drawing = self.tracker.record(gid).drawing = Drawing(event.status, event.code)
        else:
            drawing.status, drawing.code = event.status, event.code
        set_line(drawing, event)
        if drawing.task is None or drawing.task.done():
            drawing.task = self.tracker.spawn(self._draw(gid, drawing), f"bot-progress-{gid}")
        else:
            drawing.wake.set()

    async def _draw(self, generation_id: int, drawing: Drawing) -> None:
        """A job's progress task: the newest state on its status message (at most one edit per
        EDIT_EVERY seconds) and the chat action (per chat, every ACTION_EVERY seconds)."""
        drawing.started = True
        if drawing.ended:
            return
        target = await self.tracker.target(generation_id)
        if target is None:
            return
        drawing.chat_id = target.chat_id
        loop = asyncio.get_running_loop()
        while not drawing.ended:
            now = loop.time()
            text = status_text(target.lang, generation_id, drawing)
            changed = target.message_id is not None and text != drawing.drawn
            in_line = drawing.line is not None
            edit_every = LINE_EDIT_EVERY if in_line or drawing.line_drawn else EDIT_EVERY
            if changed and now >= drawing.edited_at + edit_every:
                drawing.drawn, drawing.line_drawn = text, in_line
                await self.tracker.show(generation_id, target, text,
                                        keyboards.job_status(target.lang, generation_id, drawing.status))
                drawing.edited_at = loop.time()
                continue
            action_due = self._action_due.get(target.chat_id, -math.inf)
            if in_line:  # nothing is being made yet: no "sending a photo" action
                action_due = math.inf
            elif now >= action_due:
                self._action_due[target.chat_id] = now + ACTION_EVERY
                if self.tracker.busy < ACTION_BUSY:  # else Telegram is the bottleneck: it would only delay results
                    await self._send_action(target.chat_id)
                continue
            wake_at = min(action_due, drawing.edited_at + edit_every) if changed else action_due
            drawing.wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if wake_at == math.inf else wake_at - now):  # a new state wakes us early
                    await drawing.wake.wait()

    async def _send_action(self, chat_id: int) -> None:
        try:
            with self.tracker.calling():
                await self.tracker.app.bot.send_chat_action(chat_id, ChatAction.UPLOAD_PHOTO)
        except TelegramError as exc:
            log.debug("chat action failed: %s", exc)

    async def end(self, generation_id: int) -> None:
        """Stop a job's progress task (edits and chat action) and wait until it has ended."""
        record = self.tracker.records.get(generation_id)
        drawing = record.drawing if record is not None else None
        if drawing is None:
            return
        record.drawing = None
        if drawing.task is None:
            return
        drawing.end()
        await asyncio.gather(drawing.task, return_exceptions=True)
        chat = drawing.chat_id
        if chat is not None and not any(r.drawing is not None and r.drawing.chat_id == chat
                                        for r in self.tracker.records.values()):
            self._action_due.pop(chat, None)

    def tasks(self) -> set[asyncio.Task]:
        return {r.drawing.task for r in self.tracker.records.values() if r.drawing is not None and r.drawing.task}

    def end_all(self) -> None:
        """On shutdown: every progress task returns (a status edit not drawn yet is not lost:
        a resumed job emits its state again)."""
        for record in self.tracker.records.values():
            if record.drawing is not None:
                record.drawing.end()


# --- a job waiting in the fair queue --------------------------------------------------------

def line_step(position: int) -> tuple[str, int]:
    """What a queue position is shown as: ("exact", n) where a step holds one place (1st, 2nd,
    3rd), ("within", step) for the places up to the next step ("no further back than 20th"),
    ("beyond", last step) past the schedule. It changes only when the position crosses a step."""
    below = 0
    for step in LINE_STEPS:
        if position <= step:
            return ("exact" if step - below == 1 else "within", step)
        below = step
    return ("beyond", LINE_STEPS[-1])


def set_line(drawing: Drawing, event: JobEvent) -> None:
    """Record a waiting job's step; its estimate is kept from when that step was reached, so
    the line changes only when the step does."""
    if event.code != IN_LINE or event.position is None:
        drawing.line = None
        return
    step = line_step(event.position)
    if step != drawing.line:
        drawing.line, drawing.line_eta = step, event.eta


def status_text(lang: str, generation_id: int, drawing: Drawing) -> str:
    if drawing.line is None:
        return t(lang, progress_key(drawing.status, drawing.code), id=generation_id)
    kind, n = drawing.line
    eta = ""
    if drawing.line_eta is not None:
        amount, unit = rounded_duration(drawing.line_eta)
        eta = t(lang, f"q_eta_{unit}", n=amount)
    return t(lang, f"q_{kind}", id=generation_id, place=place(lang, n), eta=eta)
