"""Bot API method implementations of the emulator (bound onto TelegramEmulator)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from .emulator_formatting import ApiError, bad_request, render_text, validate_reply_markup
from .emulator_media import MAX_DOWNLOAD_BYTES, MAX_UPLOAD_BYTES, StoredFile, Upload, check_photo

if TYPE_CHECKING:
    from .telegram_emulator import TelegramEmulator

_CMD_RE = re.compile(r"^[a-z0-9_]{1,32}$")

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


# ------------------------------------------------------------------ bot & updates
async def get_me(self: TelegramEmulator, p: dict) -> dict:
    return {
        **self.bot_user_json(), "can_join_groups": True, "can_read_all_group_messages": False,
        "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False,
    }


def _confirm(self: TelegramEmulator, offset: int | None) -> None:
    if offset is None:
        return
    if offset < 0:
        self._updates = self._updates[offset:] if -offset <= len(self._updates) else self._updates
    else:
        self._updates = [u for u in self._updates if u["update_id"] >= offset]


def _deliverable(self: TelegramEmulator, limit: int) -> list[dict]:
    allowed = self._allowed_updates
    kept, out = [], []
    for u in self._updates:
        kind = next(k for k in u if k != "update_id")
        ok = kind in allowed if allowed else kind not in {"chat_member", "message_reaction",
                                                           "message_reaction_count"}
        if ok:
            kept.append(u)
            if len(out) < limit:
                out.append(u)
    self._updates = kept  # updates of types the bot did not ask for are dropped, like Telegram does
    return out


async def get_updates(self: TelegramEmulator, p: dict) -> list[dict]:
    limit = min(max(int(p.get("limit") or 100), 1), 100)
    timeout = max(float(p.get("timeout") or 0), 0.0)
    if "allowed_updates" in p:
        self._allowed_updates = list(p["allowed_updates"] or []) or None
    _confirm(self, p.get("offset"))
    self._poll_generation += 1
    generation = self._poll_generation
    self._wake_pollers()  # a newer getUpdates terminates an older pending one
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(timeout, self.long_poll_cap)
    while True:
        event = self._updates_event
        if self._poll_generation != generation:
            raise ApiError(409, "Conflict: terminated by other getUpdates request; "
                                "make sure that only one bot instance is running")
        batch = _deliverable(self, limit)
        remaining = deadline - loop.time()
        if batch or remaining <= 0 or self._closing:
            return batch
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except TimeoutError:
            pass


async def delete_webhook(self: TelegramEmulator, p: dict) -> bool:
    if p.get("drop_pending_updates"):
        self._updates.clear()
    return True


# ------------------------------------------------------------------ commands
async def set_my_commands(self: TelegramEmulator, p: dict) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands")
    clean = []
    for c in commands:
        if not isinstance(c, dict) or not _CMD_RE.match(str(c.get("command", "")).lstrip("/")):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(c.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": str(c["command"]).lstrip("/"), "description": c["description"]})
    key = self._scope_key(p)
    if clean:
        self.commands[key] = clean
    else:
        self.commands.pop(key, None)
    return True


async def get_my_commands(self: TelegramEmulator, p: dict) -> list[dict]:
    return list(self.commands.get(self._scope_key(p), []))


async def delete_my_commands(self: TelegramEmulator, p: dict) -> bool:
    self.commands.pop(self._scope_key(p), None)
    return True


# ------------------------------------------------------------------ input files
async def _fetch_url(self: TelegramEmulator, url: str) -> tuple[bytes, str | None]:
    if url in self.url_content:
        return self.url_content[url], None
    if self._session is None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
    try:
        async with self._session.get(url) as resp:
            if resp.status != 200:
                raise bad_request("failed to get HTTP URL content")
            return await resp.read(), resp.content_type
    except aiohttp.ClientError:
        raise bad_request("failed to get HTTP URL content") from None

async def _input_file(self: TelegramEmulator, value: Any, params: dict, what: str
                      ) -> tuple[bytes | None, str | None, str | None, StoredFile | None]:
    """Resolve an InputFile/file_id/URL param -> (data, filename, content_type, existing)."""
    if isinstance(value, str) and value.startswith("attach://"):
        value = params.get(value[len("attach://"):])
        if not isinstance(value, Upload):
            raise bad_request("wrong file identifier/HTTP URL specified")
    if isinstance(value, Upload):
        if not value.data:
            raise bad_request("file must be non-empty")
        return value.data, value.filename, value.content_type, None
    if not value or not isinstance(value, str):
        raise bad_request(f"there is no {what} in the request")
    if value.startswith(("http://", "https://")):
        data, ctype = await _fetch_url(self, value)
        name = value.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
        return data, name, ctype, None
    stored = self.files.by_id.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return None, stored.file_name, stored.mime_type, stored

async def _prepare_photo(self: TelegramEmulator, value: Any, params: dict) -> tuple[list[StoredFile], str | None]:
    data, name, _, existing = await _input_file(self, value, params, "photo")
    if existing is not None:
        if existing.kind != "photo":
            raise bad_request("can't use file of type Document as Photo")
        return self.files.photo_set(existing.file_id), existing.file_name
    width, height = check_photo(data)
    return self.files.add_photo(data, width, height), name

async def _prepare_document(self: TelegramEmulator, value: Any, params: dict) -> StoredFile:
    data, name, ctype, existing = await _input_file(self, value, params, "document")
    if existing is not None:
        if existing.kind != "document":
            raise bad_request("can't use file of type Photo as Document")
        return existing
    if len(data) > MAX_UPLOAD_BYTES:
        raise bad_request("file is too big")
    return self.files.add_document(data, name, ctype)


# ------------------------------------------------------------------ sending
async def send_message(self: TelegramEmulator, p: dict) -> dict:
    if "text" not in p:
        raise bad_request("message text is empty")
    text, entities = render_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    markup = validate_reply_markup(p.get("reply_markup"))
    user = self._chat(p)
    msg = self._new_bot_message(user, "text", text, entities, p, markup)
    return self._bot_message_json(msg)


async def send_photo(self: TelegramEmulator, p: dict) -> dict:
    caption, entities = render_text(p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
                                    caption=True)
    markup = validate_reply_markup(p.get("reply_markup"))
    user = self._chat(p)
    sizes, name = await _prepare_photo(self, p.get("photo"), p)
    largest = sizes[-1]
    msg = self._new_bot_message(
        user, "photo", caption or None, entities, p, markup, photo=[s.photo_size_json() for s in sizes],
        file_bytes=largest.data, file_name=name, file_id=largest.file_id, mime_type=largest.mime_type,
    )
    return self._bot_message_json(msg)


async def send_document(self: TelegramEmulator, p: dict) -> dict:
    caption, entities = render_text(p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
                                    caption=True)
    markup = validate_reply_markup(p.get("reply_markup"))
    user = self._chat(p)
    doc = await _prepare_document(self, p.get("document"), p)
    msg = self._new_bot_message(
        user, "document", caption or None, entities, p, markup, document=doc.document_json(),
        file_bytes=doc.data, file_name=doc.file_name, file_id=doc.file_id, mime_type=doc.mime_type,
    )
    return self._bot_message_json(msg)


async def send_media_group(self: TelegramEmulator, p: dict) -> list[dict]:
    media = p.get("media")
    if not isinstance(media, list):
        raise bad_request("can't parse media JSON object")
    if not 2 <= len(media) <= 10:
        raise bad_request("media group must include 2-10 items")
    types = set()
    for item in media:
        if not isinstance(item, dict) or "type" not in item or "media" not in item:
            raise bad_request("can't parse InputMedia JSON object")
        if item["type"] not in ("photo", "document"):
            raise bad_request(f"the emulator supports only photo and document media, not {item['type']!r}")
        types.add(item["type"])
    if "document" in types and len(types) > 1:
        raise bad_request("document can't be mixed with other media types")
    user = self._chat(p)
    prepared = []
    for item in media:  # validate everything before sending anything
        caption, entities = render_text(item.get("caption"), item.get("parse_mode"),
                                        item.get("caption_entities"), caption=True)
        if item["type"] == "photo":
            sizes, name = await _prepare_photo(self, item["media"], p)
            prepared.append(("photo", caption, entities, sizes, name))
        else:
            prepared.append(("document", caption, entities, await _prepare_document(self, item["media"], p), None))
    group = str(10**17 + secrets.randbelow(9 * 10**17))
    results = []
    for kind, caption, entities, f, name in prepared:
        if kind == "photo":
            largest = f[-1]
            fields = dict(photo=[s.photo_size_json() for s in f], file_bytes=largest.data, file_name=name,
                          file_id=largest.file_id, mime_type=largest.mime_type)
        else:
            fields = dict(document=f.document_json(), file_bytes=f.data, file_name=f.file_name,
                          file_id=f.file_id, mime_type=f.mime_type)
        msg = self._new_bot_message(user, kind, caption or None, entities, p, None, media_group_id=group,
                                    **fields)
        results.append(self._bot_message_json(msg))
    return results


async def send_chat_action(self: TelegramEmulator, p: dict) -> bool:
    action = p.get("action")
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    user = self._chat(p)
    self.chat_actions.append((user.chat_id, action))
    return True



# ------------------------------------------------------------------ editing
async def edit_message_text(self: TelegramEmulator, p: dict) -> dict:
    msg = self._editable(p)
    if msg.kind != "text":
        raise bad_request("there is no text in the message to edit")
    text, entities = render_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
    msg.parse_mode = p.get("parse_mode")
    return self._apply_edit(msg, text, entities, self._inline_markup(p))


async def edit_message_caption(self: TelegramEmulator, p: dict) -> dict:
    msg = self._editable(p)
    if msg.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    caption, entities = render_text(p.get("caption"), p.get("parse_mode"), p.get("caption_entities"),
                                    caption=True)
    return self._apply_edit(msg, caption or None, entities, self._inline_markup(p))


async def edit_message_reply_markup(self: TelegramEmulator, p: dict) -> dict:
    msg = self._editable(p)
    return self._apply_edit(msg, msg.text, msg.entities, self._inline_markup(p))


async def edit_message_media(self: TelegramEmulator, p: dict) -> dict:
    """Bot API 10.0: edit a photo or document message, or add media to a text message (the
    method's documented "or to add media to text messages"; ``text_to_media = False`` makes
    the emulator refuse that, as servers before it did). A message in an album stays in its
    kind: a photo album takes photos, a document album documents."""
    msg = self._editable(p)
    media = p.get("media")
    if not isinstance(media, dict) or "type" not in media or "media" not in media:
        raise bad_request("can't parse InputMedia JSON object")
    kind = media["type"]
    if kind not in ("photo", "document"):
        raise bad_request(f"the emulator supports only photo and document media, not {kind!r}")
    if msg.kind == "text" and not self.text_to_media:
        raise bad_request("there is no media in the message to edit")
    if msg.media_group_id and kind != msg.kind:
        raise bad_request("can't change the type of media in an album")
    caption, entities = render_text(media.get("caption"), media.get("parse_mode"), media.get("caption_entities"),
                                    caption=True)
    markup = self._inline_markup(p)
    if kind == "photo":
        sizes, name = await _prepare_photo(self, media["media"], p)
        largest = sizes[-1]
        fields = dict(photo=[s.photo_size_json() for s in sizes], document=None, file_bytes=largest.data,
                      file_name=name, file_id=largest.file_id, mime_type=largest.mime_type)
    else:
        doc = await _prepare_document(self, media["media"], p)
        fields = dict(document=doc.document_json(), photo=None, file_bytes=doc.data, file_name=doc.file_name,
                      file_id=doc.file_id, mime_type=doc.mime_type)
    msg.history.append(msg.text)
    msg.kind, msg.text, msg.entities, msg.reply_markup = kind, caption or None, entities, markup
    msg.parse_mode = media.get("parse_mode")
    for name, value in fields.items():
        setattr(msg, name, value)
    msg.edits += 1
    msg.edit_date = int(time.time())
    self._touch(msg)
    return self._bot_message_json(msg)


async def delete_message(self: TelegramEmulator, p: dict) -> bool:
    user = self._chat(p)
    key = (user.chat_id, p.get("message_id"))
    if key in self._user_messages:
        del self._user_messages[key]
        return True
    msg = self._bot_messages.get(key)
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found")
    msg.deleted = True
    self._touch(msg)
    return True


async def answer_callback_query(self: TelegramEmulator, p: dict) -> bool:
    query_id = str(p.get("callback_query_id") or "")
    if query_id not in self._pending_queries or query_id in self.callback_answers:
        raise bad_request(QUERY_TOO_OLD)
    if len(str(p.get("text") or "")) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    self.callback_answers[query_id] = {k: v for k, v in p.items() if k != "callback_query_id"}
    return True



# ------------------------------------------------------------------ files
async def get_file(self: TelegramEmulator, p: dict) -> dict:
    stored = self.files.by_id.get(str(p.get("file_id") or ""))
    if stored is None:
        raise bad_request("wrong file_id or the file is temporarily unavailable")
    if stored.file_size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.file_json()


from . import emulator_webhook as _webhook  # noqa: E402  (webhook mode: it replaces getUpdates and deleteWebhook)
from . import emulator_payments as _payments  # noqa: E402

# Bot API method name -> attribute name on TelegramEmulator
METHODS = {
    "getMe": "api_get_me", "getUpdates": "api_get_updates", "deleteWebhook": "api_delete_webhook",
    "setMyCommands": "api_set_my_commands", "getMyCommands": "api_get_my_commands",
    "deleteMyCommands": "api_delete_my_commands",
    "sendMessage": "api_send_message", "sendPhoto": "api_send_photo", "sendDocument": "api_send_document",
    "sendMediaGroup": "api_send_media_group", "sendChatAction": "api_send_chat_action",
    "editMessageText": "api_edit_message_text", "editMessageCaption": "api_edit_message_caption",
    "editMessageReplyMarkup": "api_edit_message_reply_markup", "editMessageMedia": "api_edit_message_media",
    "deleteMessage": "api_delete_message",
    "answerCallbackQuery": "api_answer_callback_query", "getFile": "api_get_file",
    **_webhook.METHODS,
    **_payments.METHODS,
}
IMPLEMENTATIONS = {
    "api_get_me": get_me, "api_get_updates": get_updates, "api_delete_webhook": delete_webhook,
    "api_set_my_commands": set_my_commands,
    "api_get_my_commands": get_my_commands, "api_delete_my_commands": delete_my_commands,
    "api_send_message": send_message,
    "api_send_photo": send_photo, "api_send_document": send_document,
    "api_send_media_group": send_media_group, "api_send_chat_action": send_chat_action,
    "api_edit_message_text": edit_message_text, "api_edit_message_caption": edit_message_caption,
    "api_edit_message_reply_markup": edit_message_reply_markup, "api_edit_message_media": edit_message_media,
    "api_delete_message": delete_message,
    "api_answer_callback_query": answer_callback_query, "api_get_file": get_file,
    **_webhook.IMPLEMENTATIONS,
    **_payments.IMPLEMENTATIONS,
}
