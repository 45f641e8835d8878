"""The scripted user side of the Telegram Bot API emulator, and SentMessage."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from .emulator_formatting import utf16_len
from .emulator_media import image_size

if TYPE_CHECKING:
    from .telegram_emulator import TelegramEmulator

_COMMAND_RE = re.compile(r"(?:(?<=\s)|^)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


@dataclass
class SentMessage:
    """A message the bot sent, in its current state (edits are applied in place)."""

    message_id: int
    chat_id: int
    kind: str  # "text" | "photo" | "document"
    text: str | None  # visible text (after parse_mode) or caption
    reply_markup: dict | None = None
    file_bytes: bytes | None = None
    file_name: str | None = None
    edits: int = 0
    media_group_id: str | None = None
    entities: list[dict] = field(default_factory=list)
    parse_mode: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    photo: list[dict] | None = None  # PhotoSize list, as returned to the bot
    document: dict | None = None
    date: int = 0
    edit_date: int | None = None
    deleted: bool = False
    reply_to_message_id: int | None = None
    history: list[str | None] = field(default_factory=list)  # previous texts/captions
    version: int = field(default=0, repr=False)

    @property
    def caption(self) -> str | None:
        return None if self.kind == "text" else self.text

    def buttons(self) -> list[dict]:
        """Flat list of inline keyboard buttons (dicts as sent by the bot)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [b for row in rows for b in row]

    def button_texts(self) -> list[str]:
        return [b.get("text", "") for b in self.buttons()]


class EmulatedUser:
    """A private-chat user driving the bot. Create with ``TelegramEmulator.user()``."""

    def __init__(self, emu: TelegramEmulator, user_id: int, first_name: str = "Test",
                 username: str | None = None, language_code: str | None = "en"):
        self._emu = emu
        self.id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code
        self.blocked = False  # True -> the bot gets 403 "Forbidden: bot was blocked by the user"
        self.chat_instance = str(-(6 * 10**18 + user_id * 7919 % 10**18))
        self._cursor = 0  # message version at the time of the last user action

    # ---------------------------------------------------------------- JSON shapes
    def user_json(self) -> dict:
        d: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            d["username"] = self.username
        if self.language_code:
            d["language_code"] = self.language_code
        return d

    def chat_json(self) -> dict:
        d: dict[str, Any] = {"id": self.chat_id, "first_name": self.first_name, "type": "private"}
        if self.username:
            d["username"] = self.username
        return d

    def _base_message(self, reply_to: int | None = None) -> dict:
        emu = self._emu
        msg = {
            "message_id": emu._new_message_id(self.chat_id),
            "from": self.user_json(),
            "chat": self.chat_json(),
            "date": int(time.time()),
        }
        if reply_to is not None:
            target = emu._message_json_any(self.chat_id, reply_to)
            if target is None:
                raise LookupError(f"no message {reply_to} in chat {self.chat_id}")
            msg["reply_to_message"] = target
        return msg

    def _act(self) -> None:
        self._cursor = self._emu._version

    def _post(self, messages: list[dict]) -> None:
        self._act()
        for m in messages:
            self._emu._user_messages[(self.chat_id, m["message_id"])] = m
        self._emu._enqueue_updates([{"message": m} for m in messages])

    # ---------------------------------------------------------------- actions
    async def send_text(self, text: str, *, reply_to: int | None = None) -> int:
        msg = self._base_message(reply_to)
        msg["text"] = text
        entities = []
        for m in _COMMAND_RE.finditer(text):
            entities.append({
                "type": "bot_command",
                "offset": utf16_len(text[:m.start()]),
                "length": utf16_len(m.group()),
            })
        if entities:
            msg["entities"] = entities
        self._post([msg])
        return msg["message_id"]

    async def send_paste(self, text: str, limit: int = 4096) -> list[int]:
        """Send ``text`` as a Telegram client sends a long paste: cut every ``limit`` UTF-16
        code units (never inside a surrogate pair) into messages sent back to back; each part
        gets its own entities, so a part that starts with "/word" arrives as a command."""
        parts, part, units = [], "", 0
        for char in text:
            if units + utf16_len(char) > limit:
                parts.append(part)
                part, units = "", 0
            part, units = part + char, units + utf16_len(char)
        return [await self.send_text(p) for p in [*parts, part] if p]

    def _photo_message(self, image_bytes: bytes, caption: str | None, media_group_id: str | None) -> dict:
        size = image_size(image_bytes)
        if size is None:
            raise ValueError("send_photo() needs real image bytes (Pillow could not read them)")
        sizes = self._emu.files.add_photo(image_bytes, *size)
        msg = self._base_message()
        msg["photo"] = [s.photo_size_json() for s in sizes]
        if caption:
            msg["caption"] = caption
        if media_group_id:
            msg["media_group_id"] = media_group_id
        return msg

    async def send_photo(self, image_bytes: bytes, caption: str | None = None,
                         media_group_id: str | None = None) -> int:
        msg = self._photo_message(image_bytes, caption, media_group_id)
        self._post([msg])
        return msg["message_id"]

    async def send_document(self, data: bytes, file_name: str, mime_type: str,
                            media_group_id: str | None = None, caption: str | None = None) -> int:
        f = self._emu.files.add_document(data, file_name, mime_type)
        msg = self._base_message()
        msg["document"] = f.document_json()
        if caption:
            msg["caption"] = caption
        if media_group_id:
            msg["media_group_id"] = media_group_id
        self._post([msg])
        return msg["message_id"]

    async def send_sticker(self, emoji: str = "🙂") -> int:
        """A sticker: a message no text or photo handler takes."""
        msg = self._base_message()
        unique = secrets.token_hex(8)
        msg["sticker"] = {"file_id": f"sticker-{unique}", "file_unique_id": unique, "width": 512, "height": 512,
                          "is_animated": False, "is_video": False, "type": "regular", "emoji": emoji}
        self._post([msg])
        return msg["message_id"]

    async def send_album(self, images: list[bytes], caption: str | None = None, *, caption_on: int = 0) -> list[int]:
        """Several photo messages sharing one media_group_id, enqueued together; the album's
        caption is on one of them only (``caption_on``: its index), as clients send it."""
        group = str(10**17 + secrets.randbelow(9 * 10**17))
        msgs = [self._photo_message(img, caption if i == caption_on else None, group) for i, img in enumerate(images)]
        self._post(msgs)
        return [m["message_id"] for m in msgs]

    async def press(self, button: str, *, message_id: int | None = None) -> str:
        """Press an inline button on the newest bot message that has it (or on message
        ``message_id``); returns the callback query id. ``button`` is the button's exact text
        or callback_data, or its callback_data without a trailing ``:<id>`` (the draft id the
        bot's wizard buttons end with): ``"go"`` presses ``go:Xy12``."""
        messages = [m for m in sorted(self._emu._chat_bot_messages(self.chat_id), key=lambda m: -m.message_id)
                    if not m.deleted and (message_id is None or m.message_id == message_id)]
        exact = [(m, b) for m in messages for b in m.buttons()
                 if b.get("text") == button or b.get("callback_data") == button]
        loose = [(m, b) for m in messages for b in m.buttons()
                 if (b.get("callback_data") or "").rpartition(":")[0] == button]
        if not exact and not loose:
            where = f"message {message_id}" if message_id is not None else f"chat {self.chat_id}"
            raise LookupError(f"no inline button {button!r} in {where}; latest buttons: {self.buttons()}")
        msg, b = (exact or loose)[0]
        if "callback_data" not in b:
            raise ValueError(f"button {button!r} is not a callback button: {b}")
        query_id = str(10**18 + secrets.randbelow(9 * 10**18))
        self._emu._pending_queries[query_id] = (self.chat_id, msg.message_id)
        self._act()
        self._emu._enqueue_updates([{"callback_query": {
            "id": query_id,
            "from": self.user_json(),
            "message": self._emu._bot_message_json(msg),
            "chat_instance": self.chat_instance,
            "data": b["callback_data"],
        }}])
        return query_id

    # ---------------------------------------------------------------- inspection
    def messages(self) -> list[SentMessage]:
        return self._emu.messages(self.chat_id)

    def buttons(self) -> list[str]:
        for msg in sorted(self._emu._chat_bot_messages(self.chat_id), key=lambda m: -m.message_id):
            if not msg.deleted and msg.buttons():
                return msg.button_texts()
        return []

    def callback_answer(self, query_id: str) -> dict | None:
        """What the bot answered to a press (answerCallbackQuery params), or None."""
        return self._emu.callback_answers.get(query_id)

    async def wait_for(self, predicate: Callable[[SentMessage], bool], timeout: float = 10.0,
                       *, since_last_action: bool = True) -> SentMessage:
        """Wait until a bot message in this chat satisfies ``predicate``.

        By default only messages created/edited/deleted after this user's last action
        (send_*/press) are considered, oldest change first; pass
        ``since_last_action=False`` to consider every message in the chat.
        """
        emu = self._emu
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        floor = self._cursor if since_last_action else -1
        while True:
            event = emu._msg_event
            candidates = [m for m in emu._chat_bot_messages(self.chat_id) if m.version > floor]
            for msg in sorted(candidates, key=lambda m: m.version):
                if predicate(msg):
                    return msg
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [(m.message_id, m.kind, m.text) for m in emu._chat_bot_messages(self.chat_id)]
                raise TimeoutError(f"no matching bot message in chat {self.chat_id} after {timeout}s; "
                                   f"bot messages so far: {seen}")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_for_text(self, substring: str, timeout: float = 10.0, *,
                            since_last_action: bool = True) -> SentMessage:
        return await self.wait_for(lambda m: substring in (m.text or ""), timeout,
                                   since_last_action=since_last_action)
