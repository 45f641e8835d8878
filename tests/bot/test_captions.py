"""A result's caption fits Telegram's 1024 characters as Telegram counts them (UTF-16 code
units) whatever the prompt's script, keeps the model, aspect, ids, cost and balance whole,
and marks each id as a ``code`` entity (one tap copies it) without any parse mode."""

from __future__ import annotations

import pytest

from higgsctl.bot.captions import CAPTION_LIMIT, result_caption, utf16_len

from .harness import ALICE, Offline, configure, image

SCRIPTS = {
    "latin": "a red fox in the snow ",
    "cyrillic": "рыжая лиса в снегу ",
    "cjk": "雪の中の赤い狐 ",
    "emoji": "🦊❄️👨‍👩‍👧 ",  # outside the BMP: two code units each, a ZWJ sequence
    "rtl": "ثعلب أحمر في الثلج ",
    "combining": "e\u0301a\u0300 ",
    "markup-like": "<b>*bold*</b> _[x](http://y)_ `code` &amp; ",
    "rare plane": "𠀀𠀁𠀂 ",  # CJK extension B: surrogate pairs
}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_4000_character_prompt_is_cut_to_fit_in_any_script(script, lang):
    prompt = (SCRIPTS[script] * 4000)[:4000]
    text, entities = result_caption(lang, prompt, "Nano Banana", "16:9", [123456], 50, 9950)
    assert utf16_len(text) <= CAPTION_LIMIT
    assert CAPTION_LIMIT - utf16_len(text) <= 2  # cut to the limit, not far below it
    shown = text.split("\n\n")[0]
    assert shown.endswith("…") and " ".join(prompt.split()).startswith(shown[:-1].rstrip())
    text.encode("utf-8")  # no half of a surrogate pair left over
    assert "Nano Banana · 16:9 · #123456" in text and "9950" in text
    [entity] = entities
    units = text.encode("utf-16-le")
    assert entity.type == "code"
    assert units[2 * entity.offset:2 * (entity.offset + entity.length)].decode("utf-16-le") == "123456"


def test_a_short_prompt_is_kept_whole_and_every_id_is_copyable():
    text, entities = result_caption("en", "a fox 🦊", "Seedream 4.5", "1:1", [7, 8, 9], 150, 100)
    assert text == "a fox 🦊\n\nSeedream 4.5 · 1:1 · #7, #8, #9\nCost: 150 credits · Balance: 100"
    units = text.encode("utf-16-le")
    assert [units[2 * e.offset:2 * (e.offset + e.length)].decode("utf-16-le") for e in entities] == ["7", "8", "9"]


async def test_telegram_takes_the_caption_of_a_4000_character_prompt(settings, emu):
    """The emulator checks the caption's length and the entities' bounds in UTF-16 units as
    the Bot API does."""
    alice = emu.user(ALICE, "Alice")
    async with Offline(configure(settings, emu), emu) as bot:
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        prompt = ("𠀀🦊 лиса <b>" * 1000)[:4000]
        g = engine.generations.rows.hold(ALICE, 50, model="nano-banana", prompt=prompt, aspect_ratio="1:1",
                                         references=[], source="bot", chat_id=ALICE, status_message_id=None,
                                         idempotency_key="k")
        dest = engine.store.result_path(ALICE, g.id, 0, ".png")
        dest.write_bytes(image())
        engine.generations.finish(g.id, "completed", None, [engine.store.relative(dest)])
        await bot.app.bot_data["higgsctl"].delivery.deliver(g.id)
        assert engine.generations.get(g.id).delivered_at is not None
    [photo] = [m for m in alice.messages() if m.kind == "photo"]
    assert utf16_len(photo.caption) <= 1024 and photo.caption.startswith("𠀀🦊 лиса <b>")
    assert photo.parse_mode is None and [e["type"] for e in photo.entities] == ["code"]
