"""Reference photos: single photos, image documents and albums, for the draft at its refs
step, or, with a caption, a new draft: those photos as references, the caption as prompt,
and its confirm card (cards.py). A caption starts a new draft whatever the current one
waits for; the user's balance is checked before anything is downloaded.

An album arrives as several updates sharing one media_group_id (handled concurrently); they
become ONE set, and its caption (on one of its messages only) is the set's: a short
debounce after the last item hands the whole set to ``_flush``. Items download as soon as
the set is known to be wanted (a draft at its refs step, or a caption seen); ``_accept``
enforces the model's maximum. Oversize and
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
from ..services import Services
from ..texts import t
from . import cards, pastes
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
    items: list[tuple[int, "Incoming"]] = field(default_factory=list)  # (message id, file)
    downloads: dict[int, asyncio.Task] = field(default_factory=dict)  # message id -> download
    caption: str | None = None
    wanted: bool = False  # a draft waits for references, or a caption was seen: download now
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
    if not pastes.first_time(context, message):
        return
    caption = (message.caption or "").strip() or None
    state = await current_draft(who)
    if state is not None and state.step == "prompt" and caption is None:  # the prompt may be on its way
        await pastes.taken_before(who, message)
        state = await current_draft(who)
    item = incoming(message)
    if message.media_group_id is not None:
        await _buffered(update, context, who, item, caption, wanted=state is not None and state.step == "refs")
        return
    if caption is None and (state is None or state.step != "refs"):
        key = "photo_unexpected" if state is None else STEP_HINTS[state.step]
        await message.reply_text(t(who.lang, key), reply_markup=None if state else keyboards.main_menu(who.lang))
        return
    if caption is not None and not await _captioned_affordable(who, context, message.chat_id):
        return
    problem = _refused_early(who, item)
    if problem:
        await message.reply_text(problem)
        return
    download = asyncio.create_task(_download(context, who, item))
    await _accept(context, who, message.chat_id, caption, [(message.message_id, download)])


async def _captioned_affordable(who: Who, context: Context, chat_id: int) -> bool:
    spec, _ = await cards.starting_point(who, with_refs=True)
    return await cards.affordable(who, context.bot, chat_id, spec.price)


def _refused_early(who: Who, item: Incoming) -> str | None:
    """Why a file is refused before anything is downloaded, or None."""
    limit_mb = who.services.settings.limits.max_reference_mb
    if not item.image:
        return t(who.lang, "ref_not_image", name=item.name)
    if item.size is not None and item.size > limit_mb * 1024 * 1024:
        return t(who.lang, "ref_too_big", name=item.name, size=item.size / 1048576, limit=limit_mb)
    return None


async def _buffered(update: Update, context: Context, who: Who, item: Incoming, caption: str | None, *,
                    wanted: bool) -> None:
    message, s = update.effective_message, who.services
    key = (who.id, message.media_group_id)
    buffer = s.albums.get(key)
    if buffer is None:
        buffer = s.albums[key] = AlbumBuffer(message.chat_id)
    buffer.items.append((message.message_id, item))
    buffer.caption = buffer.caption or caption
    # a caption makes the album wanted, unless the balance already says no (checked at the flush)
    buffer.wanted = buffer.wanted or wanted or (caption is not None and who.balance >= cards.cheapest(who))
    if buffer.wanted:
        _start_downloads(context, who, buffer)
    buffer.last = asyncio.get_running_loop().time()
    if buffer.timer is None:
        buffer.timer = context.application.create_task(_flush_later(context, who, key, buffer), update=update)


def _start_downloads(context: Context, who: Who, buffer: AlbumBuffer) -> None:
    for message_id, item in buffer.items:
        if message_id not in buffer.downloads and _refused_early(who, item) is None:
            buffer.downloads[message_id] = asyncio.create_task(_download(context, who, item))


async def _flush_later(context: Context, who: Who, key: tuple[int, str], buffer: AlbumBuffer) -> None:
    """Debounce: hand the album over once no item came for ``album_delay`` seconds."""
    s: Services = who.services
    loop = asyncio.get_running_loop()
    while (wait := buffer.last + s.album_delay - loop.time()) > 0:
        await asyncio.sleep(wait)
    s.albums.pop(key, None)
    state = await current_draft(who)
    if buffer.caption is None and not buffer.wanted and (state is None or state.step != "refs"):
        hint = "photo_unexpected" if state is None else STEP_HINTS[state.step]
        await context.bot.send_message(buffer.chat_id, t(who.lang, hint),
                                       reply_markup=None if state else keyboards.main_menu(who.lang))
        return
    if buffer.caption is not None and not await _captioned_affordable(who, context, buffer.chat_id):
        await _discard([p for task in buffer.downloads.values() if isinstance(p := await task, Path)])
        return
    problems = [p for p in (_refused_early(who, item) for _, item in buffer.items) if p]
    if problems:
        await context.bot.send_message(buffer.chat_id, "\n".join(problems))
    _start_downloads(context, who, buffer)
    await _accept(context, who, buffer.chat_id, buffer.caption, list(buffer.downloads.items()))


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


async def _accept(context: Context, who: Who, chat_id: int, caption: str | None,
                  items: list[tuple[int, asyncio.Task]]) -> None:
    results = await asyncio.gather(*(task for _, task in sorted(items, key=lambda i: i[0])))
    paths = [r for r in results if isinstance(r, Path)]
    problems = [r for r in results if isinstance(r, str)]
    bot = context.bot
    if problems:
        await bot.send_message(chat_id, "\n".join(problems))
    if caption is not None:
        await _captioned(context, who, chat_id, caption, paths)
        return
    if not paths:
        return
    state = await current_draft(who)
    spec = who.services.settings.models.get(state.model) if state is not None else None
    if spec is None or state.step != "refs":  # the user moved on while they came
        await _discard(paths)
        await bot.send_message(chat_id, t(who.lang, "refs_late", added=len(paths)))
        return
    added, total = await who.services.drafts.add_refs(who.id, state.id, paths, spec.max_references)
    if added is None:
        await _discard(paths)
        if total:
            await bot.send_message(chat_id, t(who.lang, "refs_too_many", label=spec.label, max=spec.max_references,
                                              total=total, count=len(state.references)),
                                   reply_markup=keyboards.refs(who.lang, state.id, bool(state.references)))
        else:
            await bot.send_message(chat_id, t(who.lang, "refs_late", added=len(paths)))
        return
    text = t(who.lang, "refs_added", added=len(paths), count=len(added.references), max=spec.max_references)
    await bot.send_message(chat_id, text, reply_markup=keyboards.refs(who.lang, state.id, True))


async def _captioned(context: Context, who: Who, chat_id: int, caption: str, paths: list[Path]) -> None:
    """Photos with a caption: a new draft with them as references, the caption its prompt."""
    prompt, problem = cards.clean_prompt(who, caption)
    if problem or not paths:
        await _discard(paths)
        await context.bot.send_message(chat_id, problem or t(who.lang, "caption_photo_failed"))
        return
    spec, _ = await cards.starting_point(who, with_refs=True)
    if len(paths) > spec.max_references:
        await _discard(paths)
        await context.bot.send_message(chat_id, t(who.lang, "refs_too_many", label=spec.label, max=spec.max_references,
                                                  total=len(paths), count=0))
        return
    if await cards.open_card(who, context.bot, chat_id, prompt, refs=paths, model=spec.key) is None:
        await _discard(paths)


async def _discard(paths: list[Path]) -> None:
    """Uploads no draft took are not kept."""
    for path in paths:
        await asyncio.to_thread(path.unlink, missing_ok=True)


def register(app: Application, group: int = 0) -> None:
    media = filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL)
    app.add_handler(MessageHandler(media, media_received), group)
