"""Hostile reference files sent to the bot (real PTB updates, the Bot API emulator): each one
is refused alone, in the user's language, with no traceback; the rest of its album is kept
and no credit moves."""

from __future__ import annotations

import asyncio
import logging
import mimetypes

import pytest
from tests.hostile_images import DAMAGED, EXPECTED, NOT_IMAGE, TOO_MANY, encoded

from .harness import ALICE, last_text
from .test_handlers import choose_model

WORDS = {
    "en": {TOO_MANY: "{name} has too many pixels: the limit is 50 megapixels.",
           DAMAGED: "{name} is damaged or incomplete",
           NOT_IMAGE: "{name} is not an image."},
    "ru": {TOO_MANY: "{name}: слишком много пикселей, максимум 50 мегапикселей.",
           DAMAGED: "{name} повреждён или загружен не полностью",
           NOT_IMAGE: "{name} — не картинка."},
}


async def at_refs_step(bot, user) -> None:
    await choose_model(bot, user, "nano-banana")
    await user.send_text("a fox")
    await bot.feed()


def problems(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("lang", ["en", "ru"])
async def test_each_hostile_document_is_refused_alone_in_the_users_language(bot, emu, hostile_images, caplog, lang):
    user = emu.user(ALICE, "Alice", language_code=lang)
    await at_refs_step(bot, user)
    for name, code in EXPECTED.items():
        await user.send_document(hostile_images[name], name, mimetypes.guess_type(name)[0])
        await bot.feed()
        assert WORDS[lang][code].format(name=name) in last_text(user), name
    await user.send_document(encoded("PNG"), "fine.png", "image/png")  # the wizard still takes a good one
    await bot.feed()
    assert ("1 photo(s) added: 1 of 8" if lang == "en" else "Добавлено фото: 1, всего 1 из 8") in last_text(user)
    assert not problems(caplog)  # no traceback, no "something went wrong"
    assert bot.engine.credits.balance(ALICE) == 10000
    uploads = bot.engine.store.user_dir(ALICE, "last_uploads")
    assert [p.name.split("-", 1)[1] for p in uploads.iterdir()] == ["fine.png"]  # refused files are not kept


@pytest.mark.parametrize("bad", ["bomb.png", "bomb.jpg", "truncated.png", "notes.jpg"])
async def test_an_album_keeps_its_good_files_around_a_bad_one(bot, emu, hostile_images, caplog, bad):
    alice = emu.user(ALICE, "Alice")
    await at_refs_step(bot, alice)
    group = "13579"
    album = [("first.png", encoded("PNG")),
             (bad, hostile_images[bad]), ("third.jpg", encoded("JPEG", (640, 480), noise=True))]
    for name, data in album:
        await alice.send_document(data, name, mimetypes.guess_type(name)[0], media_group_id=group)
    assert await bot.feed(concurrently=True) == 3  # an album's updates are handled concurrently
    await bot.settle()
    texts = [m.text or "" for m in alice.messages()]
    assert WORDS["en"][EXPECTED[bad]].format(name=bad) in texts[-2]
    assert "2 photo(s) added: 2 of 8" in texts[-1]
    await alice.press("Continue ➡")
    await bot.feed()
    await alice.press("1:1")
    await bot.feed()
    assert "Reference photos: 2" in last_text(alice) and "Price: 50 credits. Balance: 10000." in last_text(alice)
    assert not problems(caplog)
    assert bot.engine.credits.balance(ALICE) == 10000


SENT_WITH_THE_PROMPT = {  # what follows the prompt in the same moment (a caption too long to go with its photo)
    "photo": lambda user: user.send_photo(encoded("JPEG", (640, 480))),
    "album": lambda user: user.send_album([encoded("PNG"), encoded("JPEG", (320, 240))]),
    "document": lambda user: user.send_document(encoded("PNG"), "fox.png", "image/png"),
}


@pytest.mark.parametrize("prompt_parts", [["a fox in the snow"], ["fox " * 375, "cat " * 100]], ids=["short", "paste"])
@pytest.mark.parametrize("kind", list(SENT_WITH_THE_PROMPT))
async def test_photos_sent_right_after_the_prompt_are_its_references(bot, emu, kind, prompt_parts):
    ivan = emu.user(ALICE, "Иван", language_code="ru")
    await choose_model(bot, ivan, "nano-banana")
    before = len(ivan.messages())
    for part in prompt_parts:
        await ivan.send_text(part)
    await SENT_WITH_THE_PROMPT[kind](ivan)
    await bot.feed(concurrently=True)
    await bot.settle()
    texts = [m.text or "" for m in ivan.messages()[before:]]
    count = 2 if kind == "album" else 1
    assert texts[0].startswith("Отправьте до 8 референсных фото"), texts
    assert texts[1:] == [f"📎 Добавлено фото: {count}, всего {count} из 8. Отправьте ещё или нажмите «Дальше»."]
    await ivan.press("sk")
    await bot.feed()
    await ivan.press("a:1:1")
    await bot.feed()
    assert f"Референсов: {count}\n" in last_text(ivan) and "".join(prompt_parts).split()[0] in last_text(ivan)


async def new_wizard(bot, user) -> None:
    await user.send_text("/start")
    await bot.feed()
    await user.press("g")


MOVING_ON = {  # what the user does while their photos are still arriving
    "skip": lambda bot, user: user.press("sk"),
    "cancel": lambda bot, user: user.send_text("/cancel"),
    "leave": lambda bot, user: user.press("x"),
    "start": lambda bot, user: user.send_text("/start"),
    "new wizard": new_wizard,
}


@pytest.mark.parametrize("album", [True, False], ids=["album", "single"])
@pytest.mark.parametrize("move", list(MOVING_ON))
async def test_photos_that_arrive_after_the_user_moved_on_are_said_not_added(bot, emu, move, album):
    ivan = emu.user(ALICE, "Иван", language_code="ru")
    await at_refs_step(bot, ivan)
    held = emu.hold_next("getFile")  # the (first) photo is still downloading when the user moves on
    if album:
        await ivan.send_album([encoded("PNG"), encoded("JPEG", (320, 240))])
    else:
        await ivan.send_photo(encoded("JPEG", (320, 240)))
    photos = asyncio.create_task(bot.feed())  # a single photo's handler waits for its download
    if album:
        await photos  # every item is in the album's buffer (which waits for the downloads)
    await held.reached.wait()
    await MOVING_ON[move](bot, ivan)
    await bot.feed()
    held.release()
    await photos
    await bot.settle()
    count = 2 if album else 1
    said = [m.text or "" for m in ivan.messages()]
    assert said[-1] == f"📎 Фото не добавлены ({count}): они пришли, когда этот мастер уже прошёл шаг с фото."
    assert not any(text.startswith("📎 Добавлено фото") for text in said)
    assert list(bot.engine.store.user_dir(ALICE, "last_uploads").iterdir()) == []
    assert bot.engine.credits.balance(ALICE) == 10000
