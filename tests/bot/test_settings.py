"""/settings through the real application and the Telegram emulator, on a real SQLite engine:
every value changes from one card (edited in place), what it sets is what the engine reads
next, hostile callback data and typed zones change nothing, and times are shown in the
user's zone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from higgsctl.engine import GenerationRequest
from higgsctl.engine.models import Generation, User

from .harness import ADMIN, ALICE, Offline, configure, last_text

IVAN = 7
EXPIRED_TEXTS = ("This menu has expired, start again with /start.", "Это меню устарело, начните заново с /start.")


async def open_settings(bot, user) -> int:
    await user.send_text("/settings")
    await bot.feed()
    card = user.messages()[-1]
    assert card.text.startswith(("⚙️ Your settings", "⚙️ Ваши настройки")), card.text
    return card.message_id


async def tap(bot, user, data: str, message_id: int | None = None) -> str:
    """Press the button with this callback data; a forged one is put on the newest message
    first (a hostile client can send any data for any message of the chat)."""
    target = message_id or user.messages()[-1].message_id
    message = next(m for m in user.messages() if m.message_id == target)
    if data not in [b.get("callback_data") for b in message.buttons()]:
        message.reply_markup = {"inline_keyboard": [[{"text": "forged", "callback_data": data}]]}
    query = await user.press(data, message_id=target)
    await bot.feed()
    assert user.callback_answer(query) is not None, data  # every press is answered
    return query


async def test_every_setting_changes_from_one_card_and_the_engine_reads_it(bot, emu):
    alice = emu.user(ALICE, "Alice")
    card = await open_settings(bot, alice)
    text = last_text(alice)
    assert "Language: English" in text and "Model for prompts you type: the last used" in text
    assert "Time zone: UTC, now" in text and "Ask before repeating a generation: on" in text
    preferences = bot.engine.preferences

    await tap(bot, alice, "sv:model", card)
    assert "Seedream 4.5 · 50 cr" in alice.buttons() and "✓ Last used" in alice.buttons()
    await tap(bot, alice, "ss:m:seedream-4.5", card)
    assert "Model for prompts you type: Seedream 4.5" in last_text(alice)
    await tap(bot, alice, "sv:aspect", card)
    assert "Seedream 4.5 offers these" in last_text(alice)
    await tap(bot, alice, "ss:a:16:9", card)
    assert "Aspect ratio: 16:9" in last_text(alice)
    await tap(bot, alice, "sv:zone", card)
    assert {"Tashkent · UTC+5", "London · UTC+0", "✓ UTC"} <= set(alice.buttons())
    await tap(bot, alice, "ss:z:Asia/Tashkent", card)
    assert "Time zone: Asia/Tashkent (UTC+5), now" in last_text(alice)
    await tap(bot, alice, "ss:r:0", card)
    assert "Ask before repeating a generation: off" in last_text(alice)
    assert "🔁 Ask before repeating: off" in alice.buttons()
    await tap(bot, alice, "sv:language", card)
    await tap(bot, alice, "ss:l:ru", card)
    assert "Язык: русский" in last_text(alice) and "Спрашивать перед повтором генерации: нет" in last_text(alice)

    prefs = preferences.get(ALICE)
    assert (prefs.language, prefs.model, prefs.aspect, prefs.timezone, prefs.confirm_repeats) == \
        ("ru", "seedream-4.5", "16:9", "Asia/Tashkent", False)
    assert preferences.starting_point(ALICE) == ("seedream-4.5", "16:9")  # what a typed prompt starts with
    assert [m.message_id for m in alice.messages()] == [card]  # every button edited the one card

    await tap(bot, alice, "ss:m:", card)  # back to "last used"; 16:9 is offered by some model, so it stays
    await tap(bot, alice, "ss:z:", card)  # UTC
    await tap(bot, alice, "ss:r:1", card)
    prefs = preferences.get(ALICE)
    assert (prefs.model, prefs.aspect, prefs.timezone, prefs.confirm_repeats) == (None, "16:9", None, True)
    assert "Часовой пояс: UTC" in last_text(alice)


async def test_a_double_tap_and_an_old_card_set_what_their_button_shows(bot, emu):
    alice = emu.user(ALICE, "Alice")
    old = await open_settings(bot, alice)
    new = await open_settings(bot, alice)
    await tap(bot, alice, "ss:r:0", new)
    for message in (old, new):  # the old card's button still says "on": it turns asking off, as shown
        message_obj = next(m for m in alice.messages() if m.message_id == message)
        message_obj.reply_markup = {"inline_keyboard": [[{"text": "x", "callback_data": "ss:r:0"}]]}
        await alice.press("ss:r:0", message_id=message)
        await alice.press("ss:r:0", message_id=message)  # a double tap
        await bot.feed(concurrently=True)
    assert bot.engine.preferences.get(ALICE).confirm_repeats is False
    assert len(alice.messages()) == 2  # no new message, however often pressed


FORGED = [
    "ss:m:no-such-model", "ss:m:" + "x" * 59, "ss:m:nano-banana:extra", "ss:a:99:1", "ss:a:" + "9" * 59,
    "ss:a:16:9:1", "ss:z:Mars/Base", "ss:z:../../etc/passwd", "ss:z:+99", "ss:z:+5:30", "ss:z:\u202e<b>x</b>",
    "ss:z:Europe/Moscow\x00", "ss:l:de", "ss:l:", "ss:r:2", "ss:r:", "ss:r:on", "ss:q:1", "ss:", "ss:m",
    "sv:nosuch", "sv:", "st:1", "sv:language:x",
]


async def test_forged_callback_data_changes_nothing(bot, emu, caplog):
    for lang, user_id in (("en", ALICE), ("ru", IVAN)):
        user = emu.user(user_id, "Hostile", language_code=lang)
        await open_settings(bot, user)
        before = bot.engine.preferences.get(user_id)
        for data in FORGED:
            caplog.clear()
            await tap(bot, user, data)
            said = last_text(user)
            assert said in EXPIRED_TEXTS or said.startswith("⚠️"), (data, said)
            assert "error while handling" not in caplog.text.lower() and "Traceback" not in caplog.text, data
            assert bot.engine.preferences.get(user_id) == before, data
        # the notices are in the user's language and show typed text literally
        await tap(bot, user, "ss:z:<b>Mars</b>")
        expected = {"en": "⚠️ I don't know the time zone “<b>Mars</b>”.", "ru": "⚠️ Не знаю часовой пояс «<b>Mars</b>»."}
        assert last_text(user).startswith(expected[lang]), last_text(user)
        assert user.messages()[-1].entities == []


async def test_a_model_removed_from_config_reads_as_unset_and_its_old_button_says_so(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        card = await open_settings(bot, alice)
        await tap(bot, alice, "ss:m:seedream-4.5", card)
        await tap(bot, alice, "ss:a:21:9", card)
    smaller = replace(settings, models={k: v for k, v in settings.models.items() if k != "seedream-4.5"})
    async with Offline(configure(smaller, emu), emu) as bot:
        prefs = bot.engine.preferences.get(ALICE)
        assert (prefs.model, prefs.aspect) == (None, "21:9")  # nano-banana offers 21:9 too
        assert bot.engine.preferences.starting_point(ALICE) == ("nano-banana", "21:9")
        await tap(bot, alice, "ss:m:seedream-4.5", card)  # the button of the card shown before
        text = last_text(alice)
        assert text.startswith("⚠️ The model seedream-4.5 is no longer offered.")
        assert "Model for prompts you type: the last used" in text
        await tap(bot, alice, "sv:model", card)
        assert not any("Seedream" in b for b in alice.buttons())


async def test_a_time_zone_typed_in_reply_is_checked_and_saved(bot, emu):
    ivan = emu.user(IVAN, "Иван", language_code="uk-UA")
    card = await open_settings(bot, ivan)
    await tap(bot, ivan, "sv:zone", card)
    await tap(bot, ivan, "sv:type", card)
    question = ivan.messages()[-1]
    assert question.text.startswith("Ответьте на это сообщение своим часовым поясом") and question.message_id != card
    for typed in ("Mars/Base", "<i>Europe</i>", "+5:30", "x" * 5000, "٣", "Europe/Moscow; DROP TABLE user"):
        await ivan.send_text(typed, reply_to=ivan.messages()[-1].message_id)
        await bot.feed()
        assert "Ответьте на это сообщение" in last_text(ivan), typed  # asked again, in Russian
        assert bot.engine.preferences.get(IVAN).timezone is None, typed
    assert "«<i>Europe</i>»" in next(m.text for m in ivan.messages() if "<i>" in (m.text or ""))
    await ivan.send_text(" utc+5 ", reply_to=ivan.messages()[-1].message_id)
    await bot.feed()
    assert bot.engine.preferences.get(IVAN).timezone == "Etc/GMT-5"
    assert last_text(ivan).startswith("✅ Сохранено.") and "Часовой пояс: UTC+5, сейчас" in last_text(ivan)
    await ivan.send_text("new york", reply_to=question.message_id)  # the first question still works
    await bot.feed()
    assert bot.engine.preferences.get(IVAN).timezone == "America/New_York"
    # a zone name typed without replying to the question is not read as a zone
    await ivan.send_text("Europe/Moscow")
    await bot.feed()
    assert bot.engine.preferences.get(IVAN).timezone == "America/New_York"


async def test_history_shows_times_in_the_users_zone(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    generation = await bot.engine.generations.create(GenerationRequest(
        user_id=ALICE, model="nano-banana", prompt="a fox", aspect_ratio="1:1", source="bot", chat_id=ALICE))
    Generation.update(created_at=datetime(2026, 3, 14, 23, 30)).where(Generation.id == generation.id).execute()
    shown = {}
    for zone in (None, "Asia/Tashkent", "Europe/Moscow", "America/New_York", "Etc/GMT+5"):
        bot.engine.preferences.set_timezone(ALICE, zone)
        await alice.send_text("/history")
        await bot.feed()
        shown[zone] = last_text(alice).splitlines()[1].split(" · ")[-1]
    assert shown == {None: "2026-03-14 23:30 UTC", "Asia/Tashkent": "2026-03-15 04:30 UTC+5",
                     "Europe/Moscow": "2026-03-15 02:30 MSK", "America/New_York": "2026-03-14 19:30 EDT",
                     "Etc/GMT+5": "2026-03-14 18:30 UTC-5"}


async def test_an_admin_sees_a_users_times_in_the_admins_zone(bot, emu):
    boss, alice = emu.user(ADMIN, "Boss"), emu.user(ALICE, "Alice")
    for user in (boss, alice):
        await user.send_text("/start")
    await bot.feed()
    generation = await bot.engine.generations.create(GenerationRequest(
        user_id=ALICE, model="nano-banana", prompt="a fox", aspect_ratio="1:1", source="bot", chat_id=ALICE))
    Generation.update(created_at=datetime(2026, 12, 5, 23, 30)).where(Generation.id == generation.id).execute()
    User.update(created_at=datetime(2026, 12, 5, 22, 0)).where(User.id == ALICE).execute()
    bot.engine.preferences.set_timezone(ADMIN, "Asia/Tashkent")
    await boss.send_text("/user 42")
    await bot.feed()
    assert "Joined: 2026-12-06 UTC+5" in last_text(boss)
    assert f"#{generation.id} nano-banana pending 2026-12-06 04:30 UTC+5: a fox" in last_text(boss)


@pytest.mark.parametrize(("code", "expected"), [
    ("ru", "ru"), ("RU", "ru"), ("ru-RU", "ru"), ("uk", "ru"), ("uk-UA", "ru"), ("UK_ua", "ru"), ("be", "ru"),
    ("be-BY", "ru"), ("kk", "ru"), ("kk-KZ", "ru"), (" ru ", "ru"), ("en", "en"), ("en-GB", "en"), ("de", "en"),
    ("pt-br", "en"), ("zh-hans", "en"), ("uz", "en"), ("", "en"), (None, "en"), ("-", "en"), ("xx-RU", "en"),
    ("ukr", "en"), ("ua", "en"), ("рус", "en"), ("ｒｕ", "en"), ("ru\x00", "en"), (42, "en"),
])
def test_language_fallback_table(code, expected):
    from higgsctl.bot.texts import language_for

    assert language_for(code) == expected


@pytest.mark.parametrize("how", ["/lang", "/settings"])
async def test_an_explicit_language_wins_over_telegrams_on_later_visits(bot, emu, how):
    ivan = emu.user(IVAN, "Ivan", language_code="kk-KZ")
    await ivan.send_text("/start")
    await bot.feed()
    assert "Добро пожаловать" in last_text(ivan)
    if how == "/lang":
        await ivan.send_text("/lang")
        await bot.feed()
        await ivan.press("lg:en")
    else:
        card = await open_settings(bot, ivan)
        await tap(bot, ivan, "sv:language", card)
        await ivan.press("ss:l:en")
    await bot.feed()
    for code in ("kk-KZ", "ru", None):
        ivan.language_code = code
        await ivan.send_text("/start")
        await bot.feed()
        assert "Welcome back, Ivan" in last_text(ivan), code
        await ivan.send_text("/balance")
        await bot.feed()
        assert last_text(ivan).startswith("Balance:"), code


async def test_the_command_menu_offers_settings_in_every_language_we_fall_back_to(bot, emu):
    from higgsctl.bot.app import set_commands

    await set_commands(bot.app, bot.settings)
    menus = {key: {c["command"]: c["description"] for c in commands} for key, commands in emu.commands.items()}
    assert menus["default"]["settings"].startswith("Settings")
    for code in ("ru", "uk", "be", "kk"):
        assert menus[f"default|{code}"]["settings"].startswith("Настройки"), code
