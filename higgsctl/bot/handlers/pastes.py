"""Text messages that arrive together become one text.

Telegram clients split a paste longer than 4096 characters into several messages, sent back
to back: same chat, consecutive message ids, the same second. Like an album (photos.py), a
user's text messages are collected until none came for the album delay; then each run of
consecutive ids sent within a second of each other is handed over as ONE text, so a long
prompt is judged whole instead of part by part. (Handlers run concurrently: parts may come
in any order; the runs are formed from the ids.)

A part may start with "/word" (the split fell before "and/or", "/imagine"): Telegram marks it
as a command. ``continues`` tells such a part from a real command as updates arrive, so it is
joined to its paste instead (a human cannot type a command within a second of a 4096-unit
paste). The first part of a run decides how the whole text is taken: a typed prompt, or an
/imagine whose prompt went on in the next part.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Awaitable, Callable, NamedTuple

from telegram import Message, MessageEntity, Update

from .who import Context, Who

MAX_GAP = 1  # seconds between the send times (Message.date) of two parts of one paste
# Clients split at 4096 characters, on a word boundary: a part this long is probably not the
# last one, so wait the album delay for the rest. After a shorter one (almost every prompt)
# only wait for the parts its update batch carries: handlers run concurrently and may reach
# ``collect`` out of order, by milliseconds.
SPLIT_PART = 3500  # UTF-16 code units, Telegram's unit: an emoji counts two
SETTLE = 0.3
SEEN = 50  # a user's latest message ids (texts, photos), to take an update delivered twice once
ARRIVED = 8  # a user's latest texts, as they arrived: what a "/word" part may continue

Take = Callable[[Message, str], Awaitable[None]]


@dataclass
class Paste:
    messages: list[Message] = field(default_factory=list)
    last: float = 0.0  # loop time of the latest message
    timer: asyncio.Task | None = None
    takes: dict[int, Take] = field(default_factory=dict)  # message id -> how a run it starts is taken
    awaited: set[int] = field(default_factory=set)  # ids of parts a continuation came after, not here yet

    def runs(self) -> list[list[Message]]:
        """The messages as runs of parts, in message order."""
        runs: list[list[Message]] = []
        for message in sorted(self.messages, key=lambda m: m.message_id):
            previous = runs[-1][-1] if runs else None
            if previous is not None and _joined(previous, message):
                runs[-1].append(message)
            else:
                runs.append([message])
        return runs


def _joined(previous: Message, message: Message) -> bool:
    """Whether ``message`` goes on the text of ``previous``: the next id, sent within a second.
    A command ("/imagine", a "/word" part) only after a part of split length: "/imagine" and
    the prompt typed right after it are two texts."""
    return (_next_to(previous, message)
            and (split_long(previous) or not (is_command(previous) or is_command(message))))


def _next_to(previous: Message | Arrival, message: Message | Arrival) -> bool:
    return (message.chat_id == previous.chat_id and message.message_id == previous.message_id + 1
            and abs((message.date - previous.date).total_seconds()) <= MAX_GAP)


def split_long(message: Message) -> bool:
    """Whether ``message`` is as long as the parts Telegram cuts a paste into (more may follow)."""
    return len((message.text or "").encode("utf-16-le")) // 2 >= SPLIT_PART


def is_command(message: Message) -> bool:
    return any(e.type == MessageEntity.BOT_COMMAND and e.offset == 0 for e in message.entities or ())


class Arrival(NamedTuple):
    """A text as it arrived (not the text itself: a user's latest few are kept)."""
    chat_id: int
    message_id: int
    date: datetime
    split_long: bool


def continues(context: Context, message: Message) -> bool:
    """Note a text as it arrives; True when it continues a split paste (the part just before it
    is of split length, sent within a second). Call it before the handler's first await:
    updates reach that point in the order Telegram sent them, even handled concurrently."""
    if context.user_data is None:
        return False
    arrived = context.user_data.setdefault("texts_arrived", deque(maxlen=ARRIVED))
    this = Arrival(message.chat_id, message.message_id, message.date, split_long(message))
    previous = next((a for a in arrived if _next_to(a, this)), None)
    if this not in arrived:
        arrived.append(this)
    return previous is not None and previous.split_long


async def collect(update: Update, context: Context, who: Who, take: Take, *, continuation: bool = False) -> None:
    """Add this text message to the user's paste; once nothing more came for the album delay,
    ``take(first message, whole text)`` runs for each run of parts. ``continuation``: the
    message continues a part (``continues``), which may reach here after it."""
    s, message = who.services, update.effective_message
    if not first_time(context, message):
        return
    key = (who.id, message.chat_id)
    now = asyncio.get_running_loop().time()
    paste = s.pastes.get(key)
    if paste is None:
        paste = s.pastes[key] = Paste()
        paste.timer = context.application.create_task(_flush_later(who, key, paste), update=update)
    paste.messages.append(message)
    paste.takes[message.message_id] = take
    paste.awaited.discard(message.message_id)
    if continuation and message.message_id - 1 not in paste.takes:
        paste.awaited.add(message.message_id - 1)
    paste.last = now


def first_time(context: Context, message: Message) -> bool:
    """False for a message this process has seen already: the same update again (a webhook
    retried, an offset not yet confirmed) is taken once."""
    seen = context.user_data.setdefault("messages_seen", deque(maxlen=SEEN))
    if message.message_id in seen:
        return False
    seen.append(message.message_id)
    return True


async def taken_before(who: Who, message: Message) -> None:
    """Wait until the text this user sent just before ``message`` has been taken: a photo
    sent right after its prompt belongs to the step that prompt leads to. Handlers run
    concurrently, so that text may reach ``collect`` a moment after this is called."""
    await asyncio.sleep(SETTLE)  # the texts of this update batch reach ``collect`` meanwhile
    while (paste := _earlier(who, message)) is not None:
        await asyncio.wait([paste.timer])  # never cancel the paste's own task from here


def _earlier(who: Who, message: Message) -> Paste | None:
    paste = who.services.pastes.get((who.id, message.chat_id))
    if paste is None or paste.timer is None or paste.timer.done():
        return None
    return paste if min(m.message_id for m in paste.messages) < message.message_id else None


async def _flush_later(who: Who, key: tuple[int, int], paste: Paste) -> None:
    s = who.services
    loop = asyncio.get_running_loop()
    while (wait := paste.last + _quiet_time(paste, s.album_delay) - loop.time()) > 0:
        await asyncio.sleep(wait)
    del s.pastes[key]
    failed: Exception | None = None
    for run in paste.runs():  # one text that fails must not lose the texts after it
        try:
            text = "".join(part.text or "" for part in run)  # a split cuts, it adds no separator
            await paste.takes[run[0].message_id](run[0], text)
        except Exception as exc:  # noqa: BLE001 - re-raised below, for the error handler
            failed = failed or exc
    if failed is not None:
        raise failed


def _quiet_time(paste: Paste, album_delay: float) -> float:
    newest = max(paste.messages, key=lambda m: m.message_id)
    return album_delay if split_long(newest) or paste.awaited else min(album_delay, SETTLE)
