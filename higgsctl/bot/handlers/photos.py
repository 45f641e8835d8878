"""Reference photos: single photos, image documents and albums.

An album arrives as several updates sharing one media_group_id (handled concurrently); they
become ONE set: each item starts its download at once and a short debounce after the last
item hands the whole set to ``_accept``, which enforces the model's maximum. Oversize and
non-image files are refused before anything is downloaded; downloaded files go through the
engine's own reference check (pixel count before decoding, then a full decode): a refused
file is left out with a message, the rest of its album is kept. No credit moves here: holds
happen at confirm.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, MessageHandler, filters

from higgsctl.engine import InvalidInput
from higgsctl.engine.config import LimitSettings
from higgsctl.engine.requests import CONTENT_TYPES, check_reference

from .. import keyboards
from ..drafts import Draft
from ..services import Services
from ..texts import t
from . import pastes
from .guards import guarded
from .who import Context, Who, current_draft

log = logging.getLogger("higgsctl.bot.photos")

IMAGE_TYPES = set(CONTENT_TYPES.values())
# engine refusal codes (images.inspect_image) -> text keys; anything else reads "not an image"
REFUSALS = {"reference_too_many_pixels": "ref_too_many_pixels", "reference_damaged": "ref_damaged",
            "reference_unreadable": "ref_damaged"}
STEP_HINTS = {"prompt": "photo_need_prompt", "model": "hint_model", "aspect": "hint_aspect", "confirm": "hint_confirm"}


@dataclass
class AlbumBuffer:
    chat_id: int
    state: Draft
    items: list[tuple[int, asyncio.Task]] = field(default_factory=list)  # (message id, download)
    last: float = 0.0  # loop time of the latest item
    timer: asyncio.Task | None = None


@dataclass
class Incoming:
    file_id: str
    name: str
    size: int | None
    image: bool


def incoming(message: Message) -> Incoming | None:
    if message.photo:
        largest = message.photo[-1]
        return Incoming(largest.file_id, f"photo-{message.message_id}.jpg", largest.file_size, True)
    document = message.document
    if document is not None:
        name = document.file_name or f"file-{message.message_id}"
        mime = (document.mime_type or "").lower()
        image = mime in IMAGE_TYPES or (not mime and Path(name).suffix.lower() in (".jpg", ".jpeg", ".png", ".webp", ".gif"))
        return Incoming(document.file_id, name, document.file_size, image)
    return None


@guarded
async def media_received(update: Update, context: Context, who: Who) -> None:
    message, s = update.effective_message, who.services
    state = current_draft(who)
    if state is not None and state.step == "prompt":  # the prompt may be on its way, sent just before
        await pastes.taken_before(who, message)
        state = current_draft(who)
    if state is None or state.step != "refs":
        if _first_of_group(context, message):  # one hint per album, not one per photo
            key = "photo_unexpected" if state is None else STEP_HINTS[state.step]
            await message.reply_text(t(who.lang, key), reply_markup=None if state else keyboards.main_menu(who.lang))
        return
    item = incoming(message)
    limit_mb = s.settings.limits.max_reference_mb
    if not item.image:
        await message.reply_text(t(who.lang, "ref_not_image", name=item.name))
        return
    if item.size is not None and item.size > limit_mb * 1024 * 1024:
        await message.reply_text(t(who.lang, "ref_too_big", name=item.name, size=item.size / 1048576, limit=limit_mb))
        return
    download = asyncio.create_task(_download(context, who, item))
    if message.media_group_id is None:
        await _accept(context, who, message.chat_id, state, [(message.message_id, download)])
        return
    key = (who.id, message.media_group_id)
    buffer = s.albums.get(key)
    if buffer is None:
        buffer = s.albums[key] = AlbumBuffer(message.chat_id, state)
    buffer.items.append((message.message_id, download))
    buffer.last = asyncio.get_running_loop().time()
    if buffer.timer is None:
        buffer.timer = context.application.create_task(_flush_later(context, who, key, buffer), update=update)


def _first_of_group(context: Context, message: Message) -> bool:
    if message.media_group_id is None:
        return True
    seen = context.user_data.setdefault("hinted_groups", set())
    if message.media_group_id in seen:
        return False
    if len(seen) > 50:
        seen.clear()
    seen.add(message.media_group_id)
    return True


async def _flush_later(context: Context, who: Who, key: tuple[int, str], buffer: AlbumBuffer) -> None:
    """Debounce: hand the album over once no item came for ``album_delay`` seconds."""
    s: Services = who.services
    loop = asyncio.get_running_loop()
    while (wait := buffer.last + s.album_delay - loop.time()) > 0:
        await asyncio.sleep(wait)
    s.albums.pop(key, None)
    await _accept(context, who, buffer.chat_id, buffer.state, buffer.items)


async def _download(context: Context, who: Who, item: Incoming) -> Path | str:
    """The stored reference, or a text telling the user why not."""
    s = who.services
    try:
        file = await context.bot.get_file(item.file_id)
        data = await file.download_as_bytearray()
    except TelegramError as exc:
        log.warning("reference %s not downloaded: %s", item.name, exc)
        return t(who.lang, "ref_failed", name=item.name)
    limit_mb = s.settings.limits.max_reference_mb
    if len(data) > limit_mb * 1024 * 1024:  # Telegram did not say the size up front
        return t(who.lang, "ref_too_big", name=item.name, size=len(data) / 1048576, limit=limit_mb)
    # files and Pillow, not the database: off the loop, but never on the database's one thread
    path = await asyncio.to_thread(s.engine.store.save_upload, who.id, bytes(data), item.name)
    try:
        await asyncio.to_thread(check_reference, path, s.settings.limits)
    except Exception as exc:  # this file is refused; the rest of its album goes on
        await asyncio.to_thread(path.unlink, missing_ok=True)
        if not isinstance(exc, InvalidInput):
            log.warning("reference %s refused: unexpected %s: %s", item.name, type(exc).__name__, exc)
        return refusal(who.lang, exc, item.name, s.settings.limits)
    return path


def refusal(lang: str, exc: Exception, name: str, limits: LimitSettings) -> str:
    """The user's words for an engine refusal of one reference file (by its code)."""
    code = getattr(exc, "code", None)
    key = REFUSALS.get(code, "ref_not_image")
    return t(lang, key, name=name, limit=limits.max_reference_megapixels)


async def _accept(context: Context, who: Who, chat_id: int, state: Draft, items: list[tuple[int, asyncio.Task]]) -> None:
    results = await asyncio.gather(*(task for _, task in sorted(items, key=lambda i: i[0])))
    paths = [r for r in results if isinstance(r, Path)]
    problems = [r for r in results if isinstance(r, str)]
    bot = context.bot
    if problems:
        await bot.send_message(chat_id, "\n".join(problems))
    if not paths:
        return
    if current_draft(who) is not state or state.step != "refs":  # the user moved on while they came
        await _discard(paths)
        await bot.send_message(chat_id, t(who.lang, "refs_late", added=len(paths)))
        return
    spec = who.services.settings.models[state.model]
    total = len(state.refs) + len(paths)
    if total > spec.max_references:
        await _discard(paths)
        await bot.send_message(chat_id, t(who.lang, "refs_too_many", label=spec.label, max=spec.max_references,
                                          total=total, count=len(state.refs)),
                               reply_markup=keyboards.refs(who.lang, state.id, bool(state.refs)))
        return
    state.refs.extend(paths)
    text = t(who.lang, "refs_added", added=len(paths), count=len(state.refs), max=spec.max_references)
    await bot.send_message(chat_id, text, reply_markup=keyboards.refs(who.lang, state.id, True))


async def _discard(paths: list[Path]) -> None:
    """Uploads no draft took are not kept."""
    for path in paths:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def register(app: Application, group: int = 0) -> None:
    media = filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL)
    app.add_handler(MessageHandler(media, media_received), group)
