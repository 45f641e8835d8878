"""A finished generation's images reach the user, each as a photo (the preview, with the
caption and the buttons) and as the original file.

One image: its status message *becomes* the photo (``editMessageMedia``: since Bot API 10.0
it also adds media to a text message), so a result costs two calls (the edit, the file)
instead of three (a photo, a file, a "done" edit); where the edit is refused (the message is
gone, an older server) the photo is sent as a new message. An edit is also safe to repeat:
a delivery started again after a crash edits the same message instead of sending a second
photo. Several images of one request (a batch) go as an album of photos and an album of
files; albums carry no buttons, so the batch's status message keeps them.

Each part is recorded in the database (``Parts``) right after Telegram accepted it.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from telegram import InputMediaDocument, InputMediaPhoto
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from higgsctl.engine import Engine, Generation

from . import keyboards
from .captions import result_caption
from .media import photo_bytes, too_large
from .services import db
from .texts import t
from .tracking import Tracker

log = logging.getLogger("higgsctl.bot.delivery")


@dataclass
class Parts:
    """Which parts of an outcome reached the user (``done`` of them, counted in send order),
    recorded on one generation row (a batch's: its first generation's)."""

    engine: Engine
    row: int
    done: int

    def due(self, part: int) -> bool:
        return part >= self.done

    async def mark(self, part: int) -> None:
        await db(self.engine.generations.mark_part_delivered, self.row, part)


class ResultSender:
    def __init__(self, app: Application, engine: Engine, tracker: Tracker, document_max_bytes: int) -> None:
        self.app = app
        self.engine = engine
        self.tracker = tracker
        self.document_max_bytes = document_max_bytes

    def caption(self, generations: list[Generation], lang: str, balance: int):
        first = generations[0]
        spec = self.engine.settings.models.get(first.model)
        return result_caption(lang, first.prompt, spec.label if spec else first.model, first.aspect_ratio,
                              [g.id for g in generations], sum(g.cost for g in generations), balance)

    def repeat_price(self, generation: Generation) -> int | None:
        """What Regenerate spends: one more image of that model at today's price."""
        spec = self.engine.settings.models.get(generation.model)
        return None if spec is None else spec.price

    async def paths(self, generation: Generation) -> list[Path]:
        """The result files, fetched from the shared bucket first if another machine stored
        them ([storage] url): on a worker thread."""
        store = self.engine.store
        return await asyncio.to_thread(lambda: [store.locate(p) for p in generation.result_files])

    async def send_result(self, generation: Generation, lang: str, balance: int, chat_id: int | None = None, *,
                          parts: Parts | None = None, status_id: int | None = None) -> bool:
        """The result as a photo (with buttons) and as the original file, from local storage.
        ``parts``: the job's own delivery (skip what arrived, record what arrives: photo ``2i``,
        file ``2i + 1`` of result file i). ``status_id``: the status message to turn into the
        first photo. True if it did (the status message needs no further edit)."""
        chat_id = chat_id or generation.chat_id
        caption, entities = self.caption([generation], lang, balance)
        paths = await self.paths(generation)
        if not paths or not all(p.is_file() for p in paths):
            with self.tracker.calling():
                await self.app.bot.send_message(chat_id, t(lang, "file_gone", id=generation.id))
            return False
        became = False
        for index, path in enumerate(paths):
            first = index == 0  # the caption and the buttons go under the first photo
            headline = first  # ...or, when that photo can't be shown, under the first file
            if parts is None or parts.due(2 * index):
                photo = await self._photo(generation, path)
                if photo is not None:
                    markup = keyboards.result(lang, generation.id, self.repeat_price(generation)) if first else None
                    shown = await self._show_photo(generation.id, chat_id, InputMediaPhoto(
                        photo, caption=caption if first else None, caption_entities=entities if first else None),
                        markup, status_id if first else None)
                    headline = headline and shown is None
                    became = became or shown == "edited"
                if parts is not None:
                    await parts.mark(2 * index)
            else:
                headline = False  # the photo (and its buttons) arrived before a restart
            if parts is None or parts.due(2 * index + 1):
                await self._send_file(generation, path, index, lang, chat_id,
                                      headline=(caption, entities) if headline else None)
                if parts is not None:
                    await parts.mark(2 * index + 1)
        return became

    async def send_albums(self, generations: list[Generation], lang: str, balance: int, chat_id: int,
                          parts: Parts) -> None:
        """A batch's images: an album of photos (part 0, the caption on its first) and an album
        of the original files (part 1). Only for two or more images (an album's minimum)."""
        items = [(g, i, p) for g in generations for i, p in enumerate(await self.paths(g)) if p.is_file()]
        if parts.due(0):
            caption, entities = self.caption(generations, lang, balance)
            photos = []
            for generation, _, path in items:
                photo = await self._photo(generation, path)
                if photo is not None:
                    photos.append(InputMediaPhoto(photo, caption=None if photos else caption,
                                                  caption_entities=None if photos else entities))
            await self._album(generations[0].id, chat_id, photos)
            await parts.mark(0)
        if parts.due(1):
            files, over = [], []
            for generation, index, path in items:
                size = (await asyncio.to_thread(path.stat)).st_size
                if size > self.document_max_bytes:
                    over.append((generation, size))
                    continue
                data = await asyncio.to_thread(path.read_bytes)
                files.append(InputMediaDocument(data, filename=f"higgsfield-{generation.id}-{index + 1}{path.suffix}",
                                                caption=t(lang, "original_caption", id=generation.id)))
            await self._album(generations[0].id, chat_id, files)
            for generation, size in over:
                with self.tracker.calling():
                    await self.app.bot.send_message(chat_id, t(lang, "file_too_large", id=generation.id,
                                                               size=max(1, math.ceil(size / (1024 * 1024)))))
            await parts.mark(1)

    async def _album(self, generation_id: int, chat_id: int, media: list) -> None:
        """One album (or a single item: an album needs two). A refused one is logged: the other
        album still carries the results."""
        try:
            with self.tracker.calling():
                if len(media) >= 2:
                    await self.app.bot.send_media_group(chat_id, media)
                elif media and isinstance(media[0], InputMediaPhoto):
                    await self.app.bot.send_photo(chat_id, media[0].media, caption=media[0].caption,
                                                  caption_entities=media[0].caption_entities)
                elif media:
                    await self.app.bot.send_document(chat_id, media[0].media, caption=media[0].caption)
        except BadRequest as exc:
            log.warning("batch of #%s: album refused (%s)", generation_id, exc.message)
        except TelegramError as exc:
            if not too_large(exc):
                raise
            log.warning("batch of #%s: album refused as too large (%s)", generation_id, exc)

    async def _photo(self, generation: Generation, path: Path) -> bytes | None:
        try:
            return await asyncio.to_thread(photo_bytes, path)
        except Exception as exc:  # Pillow can't read it: the file still carries the result
            log.warning("generation %s: no photo preview of %s (%s: %s); sending the file only",
                        generation.id, path.name, type(exc).__name__, exc)
            return None

    async def _show_photo(self, generation_id: int, chat_id: int, photo: InputMediaPhoto, markup,
                          status_id: int | None) -> str | None:
        """"edited" (the status message became the photo), "sent" (a new message), or None
        (Telegram refused the preview: the file carries the result)."""
        if status_id is not None:
            try:
                with self.tracker.calling():
                    await self.app.bot.edit_message_media(photo, chat_id=chat_id, message_id=status_id,
                                                          reply_markup=markup)
                return "edited"
            except BadRequest as exc:
                if "not modified" in exc.message:
                    return "edited"
                log.info("generation %s: status message not turned into the photo (%s); sending it",
                         generation_id, exc.message)
        try:
            with self.tracker.calling():
                await self.app.bot.send_photo(chat_id, photo.media, caption=photo.caption,
                                              caption_entities=photo.caption_entities, reply_markup=markup)
            return "sent"
        except BadRequest as exc:  # the preview is refused: the file below still carries the result
            log.warning("generation %s: photo refused (%s); sending the file only", generation_id, exc.message)
        except TelegramError as exc:
            if not too_large(exc):
                raise
            log.warning("generation %s: photo refused (%s); sending the file only", generation_id, exc)
        return None

    async def _send_file(self, generation: Generation, path: Path, index: int, lang: str, chat_id: int,
                         headline: tuple | None = None) -> None:
        """The original file; one over the Bot API's upload limit (or refused as too large)
        is replaced by a short note: it stays in the store, and retrying can't help.
        ``headline``: the result's caption and its entities, whose buttons then go under the
        file (or the note) because no photo could carry them."""
        markup = keyboards.result(lang, generation.id, self.repeat_price(generation)) if headline else None
        caption, entities = headline or (t(lang, "original_caption", id=generation.id), None)
        size = (await asyncio.to_thread(path.stat)).st_size
        if size <= self.document_max_bytes:
            data = await asyncio.to_thread(path.read_bytes)
            name = f"higgsfield-{generation.id}-{index + 1}{path.suffix}"
            try:
                with self.tracker.calling():
                    await self.app.bot.send_document(chat_id, data, filename=name, reply_markup=markup,
                                                     caption=caption, caption_entities=entities)
                return
            except TelegramError as exc:
                if not too_large(exc):
                    raise
                log.warning("generation %s: file %s refused as too large (%s)", generation.id, name, exc)
        else:
            log.warning("generation %s: file %s (%d bytes) is over the upload limit (%d bytes)",
                        generation.id, path.name, size, self.document_max_bytes)
        with self.tracker.calling():
            note = t(lang, "file_too_large", id=generation.id, size=max(1, math.ceil(size / (1024 * 1024))))
            await self.app.bot.send_message(chat_id, f"{headline[0]}\n\n{note}" if headline else note,
                                            reply_markup=markup)
