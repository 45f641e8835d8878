"""Text messages that arrive together become one text.

Telegram clients split a paste longer than 4096 characters into several messages, sent back
to back: same chat, consecutive message ids, the same second. Like an album (photos.py), the
parts are collected and handed over as ONE text once no further part came for the album
delay, so a long prompt is judged whole instead of part by part.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from telegram import Message, Update

from .common import Context, Who

MAX_GAP = 1  # seconds between the send times (Message.date) of two parts of one paste


@dataclass
class Paste:
    parts: list[Message] = field(default_factory=list)
    last: float = 0.0  # loop time of the latest part
    timer: asyncio.Task | None = None

    def adjoins(self, message: Message) -> bool:
        """Handlers run concurrently, so a later part may come first: either end will do."""
        first, last = self.parts[0], self.parts[-1]
        if message.message_id == last.message_id + 1:
            neighbour = last
        elif message.message_id == first.message_id - 1:
            neighbour = first
        else:
            return False
        return abs((message.date - neighbour.date).total_seconds()) <= MAX_GAP

    def add(self, message: Message, now: float) -> None:
        self.parts = sorted([*self.parts, message], key=lambda part: part.message_id)
        self.last = now

    @property
    def text(self) -> str:
        return "".join(part.text or "" for part in self.parts)  # a split cuts, it adds no separator


async def collect(update: Update, context: Context, who: Who, take: Callable[[str], Awaitable[None]]) -> None:
    """Add this text message to the user's paste; ``take(text)`` gets the whole text once
    nothing more arrived for the album delay."""
    s, message = who.services, update.effective_message
    key = (who.id, message.chat_id)
    paste = s.pastes.get(key)
    loop = asyncio.get_running_loop()
    if paste is not None and paste.adjoins(message):
        paste.add(message, loop.time())
        return
    paste = s.pastes[key] = Paste([message], loop.time())  # an earlier paste still flushes on its own
    paste.timer = context.application.create_task(_flush_later(who, key, paste, take), update=update)


async def _flush_later(who: Who, key: tuple[int, int], paste: Paste, take: Callable[[str], Awaitable[None]]) -> None:
    s = who.services
    loop = asyncio.get_running_loop()
    while (wait := paste.last + s.album_delay - loop.time()) > 0:
        await asyncio.sleep(wait)
    if s.pastes.get(key) is paste:
        del s.pastes[key]
    await take(paste.text)
