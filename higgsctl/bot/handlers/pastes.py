"""Text messages that arrive together become one text.

Telegram clients split a paste longer than 4096 characters into several messages, sent back
to back: same chat, consecutive message ids, the same second. Like an album (photos.py), a
user's text messages are collected until none came for the album delay; then each run of
consecutive ids sent within a second of each other is handed over as ONE text, so a long
prompt is judged whole instead of part by part. (Handlers run concurrently: parts may come
in any order; the runs are formed from the ids.)
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from telegram import Message, Update

from .who import Context, Who

MAX_GAP = 1  # seconds between the send times (Message.date) of two parts of one paste
# Clients split at 4096 characters, on a word boundary: a part this long is probably not the
# last one, so wait the album delay for the rest. After a shorter one (almost every prompt)
# only wait for the parts its update batch carries: handlers run concurrently and may reach
# ``collect`` out of order, by milliseconds.
SPLIT_PART = 3500
SETTLE = 0.3
SEEN = 50  # a user's latest message ids (texts, photos), to take an update delivered twice once

Take = Callable[[Message, str], Awaitable[None]]


@dataclass
class Paste:
    messages: list[Message] = field(default_factory=list)
    last: float = 0.0  # loop time of the latest message
    timer: asyncio.Task | None = None

    def runs(self) -> list[list[Message]]:
        """The messages as runs of parts, in message order."""
        runs: list[list[Message]] = []
        for message in sorted(self.messages, key=lambda m: m.message_id):
            previous = runs[-1][-1] if runs else None
            if (previous is not None and message.message_id == previous.message_id + 1
                    and abs((message.date - previous.date).total_seconds()) <= MAX_GAP):
                runs[-1].append(message)
            else:
                runs.append([message])
        return runs


async def collect(update: Update, context: Context, who: Who, take: Take) -> None:
    """Add this text message to the user's paste; once nothing more came for the album delay,
    ``take(first message, whole text)`` runs for each run of parts."""
    s, message = who.services, update.effective_message
    if not first_time(context, message):
        return
    key = (who.id, message.chat_id)
    now = asyncio.get_running_loop().time()
    paste = s.pastes.get(key)
    if paste is None:
        paste = s.pastes[key] = Paste()
        paste.timer = context.application.create_task(_flush_later(who, key, paste, take), update=update)
    paste.messages.append(message)
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


async def _flush_later(who: Who, key: tuple[int, int], paste: Paste, take: Take) -> None:
    s = who.services
    loop = asyncio.get_running_loop()
    while (wait := paste.last + _quiet_time(paste, s.album_delay) - loop.time()) > 0:
        await asyncio.sleep(wait)
    del s.pastes[key]
    failed: Exception | None = None
    for run in paste.runs():  # one text that fails must not lose the texts after it
        try:
            await take(run[0], "".join(part.text or "" for part in run))  # a split cuts, it adds no separator
        except Exception as exc:  # noqa: BLE001 - re-raised below, for the error handler
            failed = failed or exc
    if failed is not None:
        raise failed


def _quiet_time(paste: Paste, album_delay: float) -> float:
    newest = max(paste.messages, key=lambda m: m.message_id)
    return album_delay if len(newest.text or "") >= SPLIT_PART else min(album_delay, SETTLE)
