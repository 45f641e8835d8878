"""An in-process Telegram Bot API server for end-to-end tests of the bot.

Point a real PTB ``Application`` at it::

    async with TelegramEmulator() as emu:
        app = (Application.builder().token(emu.token)
               .base_url(f"{emu.url}/bot").base_file_url(f"{emu.url}/file/bot").build())
        alice = emu.user(42, "Alice")
        await alice.send_text("/start")
        await alice.wait_for_text("Welcome")

Wire format, method names, result shapes and error descriptions follow
https://core.telegram.org/bots/api for the implemented subset (see ``_METHODS``).
Method names are case-insensitive, as on the real server.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections import defaultdict, deque
from typing import Any

import aiohttp
from aiohttp import web

from .emulator_formatting import ApiError, bad_request, validate_reply_markup
from .emulator_media import MAX_UPLOAD_BYTES, FileStore, Upload
from .emulator_user import EmulatedUser, SentMessage

__all__ = ["ApiError", "EmulatedUser", "SentMessage", "TelegramEmulator", "Upload"]

NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")

_INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "timeout", "from_chat_id", "user_id",
               "reply_to_message_id", "message_thread_id", "cache_time", "max_connections"}
_BOOL_PARAMS = {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
                "disable_web_page_preview", "has_spoiler", "allow_sending_without_reply",
                "disable_content_type_detection", "show_caption_above_media", "allow_paid_broadcast"}
_JSON_PARAMS = {"reply_markup", "media", "scope", "allowed_updates", "entities", "caption_entities",
                "commands", "link_preview_options", "reply_parameters"}


def _coerce(name: str, value: Any) -> Any:
    """Form values are strings; give them their Bot API type (JSON bodies are already typed)."""
    if not isinstance(value, str):
        return value
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            if name == "chat_id":
                return value  # @channelusername
            raise bad_request(f'field "{name}" must be of type Integer') from None
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if name in _JSON_PARAMS:
        try:
            return json.loads(value) if value else None
        except json.JSONDecodeError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise bad_request(f"can't parse {what} JSON object") from None
    return value


class Held:
    """A call kept waiting by ``TelegramEmulator.hold_next``."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.released = asyncio.Event()

    def release(self) -> None:
        self.released.set()


class TelegramEmulator:
    """Bot API server + state. Inspection attributes:

    ``calls``         [(method, params)] in arrival order; params typed (ints, bools, JSON fields
                      decoded), uploaded files replaced by ``"<file 'name' type N bytes>"``.
    ``errors``        [(method, error_code, description)] of every error response.
    ``commands``      setMyCommands lists by scope key: ``"default"``, ``"all_private_chats"``,
                      ``"chat:<chat_id>"``, ``"chat_member:<chat_id>:<user_id>"``; a
                      language_code is appended as ``"|<lang>"``.
    ``chat_actions``  [(chat_id, action)];  ``callback_answers`` {query_id: params};
    ``files``         FileStore of every known file;  ``url_content`` {url: bytes} overrides.
    """

    def __init__(self, token: str = "123456:TEST-token", *, bot_username: str = "higgs_test_bot",
                 bot_first_name: str = "Higgs Test Bot", long_poll_cap: float = 1.0, flood_limit: float | None = None):
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.long_poll_cap = long_poll_cap  # server-side cap on getUpdates' wait, seconds
        self.text_to_media = True  # editMessageMedia may add media to a text message (Bot API 10.0)
        # Flood control, roughly as Telegram's: calls to chats drain a bucket of 2 × flood_limit
        # that refills at flood_limit a second; an empty bucket answers 429 (retry after 1 s).
        self.flood_limit = flood_limit
        self._flood_tokens = 2 * (flood_limit or 0)
        self._flood_at = time.monotonic()
        self.url = ""
        # inspection
        self.calls: list[tuple[str, dict]] = []
        self.errors: list[tuple[str, int, str]] = []  # (method, error_code, description)
        self.commands: dict[str, list[dict]] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.callback_answers: dict[str, dict] = {}
        self.files = FileStore()
        self.url_content: dict[str, bytes] = {}  # served for photo/document URLs instead of fetching
        # state
        self._users: dict[int, EmulatedUser] = {}
        self._updates: list[dict] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._msg_ids: dict[int, int] = defaultdict(int)
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._user_messages: dict[tuple[int, int], dict] = {}
        self._pending_queries: dict[str, tuple[int, int]] = {}
        self._injected: dict[str, deque] = defaultdict(deque)
        self._held: dict[str, deque] = defaultdict(deque)
        self._version = 0
        self._msg_event = asyncio.Event()
        self._updates_event = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods = {name.lower(): (name, getattr(self, attr)) for name, attr in _METHODS.items()}

    # ------------------------------------------------------------------ lifecycle
    async def start(self, sock: socket.socket | None = None) -> str:
        """Serve on loopback (a free port, or ``sock``: a socket the test bound earlier)."""
        self._closing = False
        app = web.Application(client_max_size=4 * MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.SockSite(self._runner, sock) if sock is not None else web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        self._wake_pollers()
        hook = getattr(self, "_webhook", None)
        if hook is not None and hook.task is not None:  # webhook mode's delivery (emulator_webhook.py)
            hook.task.cancel()
        if self._session:
            await self._session.close()
            self._session = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test API
    def user(self, user_id: int, first_name: str = "Test", username: str | None = None,
             language_code: str | None = "en") -> EmulatedUser:
        """Get (or create) the user with this id; their private chat has the same id."""
        if user_id not in self._users:
            self._users[user_id] = EmulatedUser(self, user_id, first_name, username, language_code)
        return self._users[user_id]

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[SentMessage]:
        """Everything the bot sent in this chat (current state, edits applied), by message_id."""
        return sorted((m for m in self._chat_bot_messages(chat_id) if include_deleted or not m.deleted),
                      key=lambda m: m.message_id)

    def fail_next(self, method: str, *, retry_after: int | None = None, error_code: int = 429,
                  description: str | None = None, times: int = 1, after: int = 0) -> None:
        """Make the next ``times`` calls of ``method`` fail with this error (before running it),
        once ``after`` calls of it went through.

        429 errors always carry ``parameters.retry_after`` (default 1), as Telegram's do.
        """
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                400: "Bad Request: injected error",
                403: "Forbidden: injected error",
            }.get(error_code, "Injected error")
        params = {"retry_after": retry_after} if retry_after is not None else None
        for _ in range(after):
            self._injected[method.lower()].append(None)  # a call that goes through
        for _ in range(times):
            self._injected[method.lower()].append(ApiError(error_code, description, params))

    def hold_next(self, method: str) -> Held:
        """Keep the next call of ``method`` waiting (received, not yet carried out) until
        ``release()``; ``reached`` is set once it arrives. A caller that goes away meanwhile
        (a killed bot) cancels it: Telegram never accepted it."""
        held = Held()
        self._held[method.lower()].append(held)
        return held

    def pending_updates(self) -> list[dict]:
        """Updates enqueued but not yet confirmed by the bot (via getUpdates offset)."""
        return list(self._updates)

    def bot_user_json(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name,
                "username": self.bot_username}

    # ------------------------------------------------------------------ internals used by users
    def _new_message_id(self, chat_id: int) -> int:
        self._msg_ids[chat_id] += 1
        return self._msg_ids[chat_id]

    def _chat_bot_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for (c, _), m in self._bot_messages.items() if c == chat_id]

    def _enqueue_updates(self, payloads: list[dict]) -> None:
        for p in payloads:
            self._updates.append({"update_id": self._next_update_id, **p})
            self._next_update_id += 1
        self._wake_pollers()

    def _wake_pollers(self) -> None:
        ev, self._updates_event = self._updates_event, asyncio.Event()
        ev.set()

    def _touch(self, msg: SentMessage) -> None:
        self._version += 1
        msg.version = self._version
        ev, self._msg_event = self._msg_event, asyncio.Event()
        ev.set()

    def _message_json_any(self, chat_id: int, message_id: int) -> dict | None:
        bot_msg = self._bot_messages.get((chat_id, message_id))
        if bot_msg is not None and not bot_msg.deleted:
            return self._bot_message_json(bot_msg)
        return self._user_messages.get((chat_id, message_id))

    def _bot_message_json(self, m: SentMessage) -> dict:
        d: dict[str, Any] = {
            "message_id": m.message_id, "from": self.bot_user_json(),
            "chat": self._users[m.chat_id].chat_json(), "date": m.date,
        }
        if m.edit_date:
            d["edit_date"] = m.edit_date
        if m.media_group_id:
            d["media_group_id"] = m.media_group_id
        if m.reply_to_message_id is not None:
            target = self._message_json_any(m.chat_id, m.reply_to_message_id)
            if target is not None:
                d["reply_to_message"] = target
        if m.kind == "text":
            d["text"] = m.text
            if m.entities:
                d["entities"] = m.entities
        else:
            if m.kind == "photo":
                d["photo"] = m.photo
            else:
                d["document"] = m.document
            if m.text:
                d["caption"] = m.text
                if m.entities:
                    d["caption_entities"] = m.entities
        if m.reply_markup and "inline_keyboard" in m.reply_markup:
            d["reply_markup"] = m.reply_markup
        return d

    # ------------------------------------------------------------------ HTTP
    @staticmethod
    def _error_response(err: ApiError) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": err.error_code, "description": err.description}
        if err.parameters:
            body["parameters"] = err.parameters
        return web.json_response(body, status=err.error_code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            try:
                if request.content_type == "application/json":
                    body = await request.json()
                    if not isinstance(body, dict):
                        raise bad_request("JSON object expected")
                    raw.update(body)
                else:
                    form = await request.post()
                    for key, value in form.items():
                        if isinstance(value, web.FileField):
                            raw[key] = Upload(key, value.filename, value.content_type, value.file.read())
                        else:
                            raw[key] = value
            except web.HTTPRequestEntityTooLarge:
                raise ApiError(413, "Request Entity Too Large") from None
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise bad_request("can't parse JSON object") from None
        return {k: _coerce(k, v) for k, v in raw.items()}

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return self._error_response(ApiError(404, "Not Found"))
        name, handler = entry
        try:
            params = await self._read_params(request)
            self.calls.append((name, {k: v.describe() if isinstance(v, Upload) else v
                                      for k, v in params.items()}))
            if self._injected[name.lower()] and (error := self._injected[name.lower()].popleft()) is not None:
                raise error
            if self.flood_limit and "chat_id" in params:
                self._flood_control()
            if self._held[name.lower()]:
                held = self._held[name.lower()].popleft()
                held.reached.set()
                await held.released.wait()
            result = await handler(params)
        except ApiError as err:
            self.errors.append((name, err.error_code, err.description))
            return self._error_response(err)
        return web.json_response({"ok": True, "result": result})

    def _flood_control(self) -> None:
        now = time.monotonic()
        self._flood_tokens = min(2 * self.flood_limit, self._flood_tokens + (now - self._flood_at) * self.flood_limit)
        self._flood_at = now
        if self._flood_tokens < 1:
            raise ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
        self._flood_tokens -= 1

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error_response(ApiError(401, "Unauthorized"))
        stored = self.files.by_path.get(request.match_info["path"])
        if stored is None:
            return self._error_response(ApiError(404, "Not Found"))
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    # ------------------------------------------------------------------ helpers
    def _chat(self, params: dict) -> EmulatedUser:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        user = self._users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise bad_request("chat not found")
        if user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return user

    def _reply_to(self, params: dict, chat_id: int) -> int | None:
        rp = params.get("reply_parameters") or {}
        mid = rp.get("message_id") if isinstance(rp, dict) else None
        mid = mid if mid is not None else params.get("reply_to_message_id")
        if mid is None:
            return None
        if self._message_json_any(chat_id, int(mid)) is None:
            if rp.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return int(mid)

    def _new_bot_message(self, user: EmulatedUser, kind: str, text: str | None, entities: list,
                         params: dict, markup: dict | None, **fields: Any) -> SentMessage:
        msg = SentMessage(
            message_id=self._new_message_id(user.chat_id), chat_id=user.chat_id, kind=kind,
            text=text, reply_markup=markup, entities=entities, parse_mode=params.get("parse_mode"),
            date=int(time.time()), reply_to_message_id=self._reply_to(params, user.chat_id), **fields,
        )
        self._bot_messages[(user.chat_id, msg.message_id)] = msg
        self._touch(msg)
        return msg

    def _editable(self, params: dict) -> SentMessage:
        if params.get("inline_message_id"):
            raise bad_request("the emulator does not support inline_message_id")
        user = self._chat(params)
        key = (user.chat_id, params.get("message_id"))
        if key in self._user_messages:
            raise bad_request("message can't be edited")
        msg = self._bot_messages.get(key)
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        return msg

    def _apply_edit(self, msg: SentMessage, text: str | None, entities: list, markup: dict | None) -> dict:
        if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
            raise bad_request(NOT_MODIFIED)
        if text != msg.text:
            msg.history.append(msg.text)
        msg.text, msg.entities, msg.reply_markup = text, entities, markup
        msg.edits += 1
        msg.edit_date = int(time.time())
        self._touch(msg)
        return self._bot_message_json(msg)

    @staticmethod
    def _inline_markup(params: dict) -> dict | None:
        markup = validate_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")
        return markup

    @staticmethod
    def _scope_key(params: dict) -> str:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        key = scope["type"]
        if key not in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators",
                       "chat", "chat_administrators", "chat_member"):
            raise bad_request("wrong bot command scope type specified")
        if "chat_id" in scope:
            key += f":{scope['chat_id']}"
        if "user_id" in scope:
            key += f":{scope['user_id']}"
        if params.get("language_code"):
            key += f"|{params['language_code']}"
        return key


from . import emulator_methods as _em  # noqa: E402  (methods live in their own module)

_METHODS = _em.METHODS
for _name, _fn in _em.IMPLEMENTATIONS.items():
    setattr(TelegramEmulator, _name, _fn)
