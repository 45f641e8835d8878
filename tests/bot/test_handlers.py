"""Handler tests: real PTB Updates (Update.de_json) through the real application, a real
SQLite engine in the temp HIGGSCTL_HOME, and the Telegram emulator as the Bot API."""

from __future__ import annotations

from dataclasses import replace


from higgsctl.engine import HistoryFilter

from .harness import ALICE, Offline, configure, image, last_text


async def test_start_registers_with_initial_credits_and_greets_in_user_language(bot, emu):
    ivan = emu.user(7, "Иван", language_code="ru")
    await ivan.send_text("/start")
    await bot.feed()
    user = bot.engine.users.get(7)
    assert user.balance == bot.settings.credits.initial and user.language == "ru"
    assert "Добро пожаловать, Иван" in last_text(ivan)
    assert "🎨 Сгенерировать" in ivan.buttons()

    await ivan.send_text("/start")
    await bot.feed()
    assert "С возвращением" in last_text(ivan)
    assert bot.engine.users.get(7).balance == bot.settings.credits.initial  # credits once


async def test_lang_switches_language_and_is_stored(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/lang")
    await bot.feed()
    await alice.press("lg:ru")
    await bot.feed()
    assert bot.engine.users.get(ALICE).language == "ru"
    assert "Язык: русский" in last_text(alice)
    await alice.send_text("/balance")
    await bot.feed()
    assert "Баланс: 10000" in last_text(alice)


async def test_wizard_collects_model_prompt_album_and_aspect_then_shows_price(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    await alice.press("g")
    await bot.feed()
    assert "Nano Banana · 50 cr" in alice.buttons()
    await alice.press("m:nano-banana")
    await bot.feed()
    assert "send the prompt" in last_text(alice)
    await alice.send_text("a red   fox\nin the snow")
    await bot.feed()
    assert "up to 8 reference photos" in last_text(alice)
    await alice.send_album([image(color=(1, 2, 3)), image(color=(4, 5, 6)), image(color=(7, 8, 9))])
    await bot.feed()
    await bot.settle()
    added = [m for m in alice.messages() if "added" in (m.text or "")]
    assert len(added) == 1 and "3 photo(s) added: 3 of 8" in added[0].text  # one set, one answer
    await alice.press("sk")
    await bot.feed()
    assert "aspect ratio" in last_text(alice)
    await alice.press("a:16:9")
    await bot.feed()
    text = last_text(alice)
    assert "Aspect: 16:9" in text and "Reference photos: 3" in text and "Prompt: a red fox in the snow" in text
    assert "Price: 50 credits. Balance: 10000." in text
    assert "✅ Generate for 50" in alice.buttons()
    assert bot.engine.credits.balance(ALICE) == 10000  # nothing held before the confirm
    uploads = list(bot.engine.store.user_dir(ALICE, "last_uploads").iterdir())
    assert len(uploads) == 3


async def test_album_over_the_model_maximum_is_refused_as_a_whole(settings, emu):
    models = {k: replace(v, max_references=2) for k, v in settings.models.items()}
    async with Offline(configure(replace(settings, models=models), emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await choose_model(bot, alice, "nano-banana")
        await alice.send_text("a fox")
        await bot.feed()
        await alice.send_album([image(), image(), image()])
        await bot.feed()
        await bot.settle()
        assert "takes at most 2 reference photos; this would make 3" in last_text(alice)
        assert list(bot.engine.store.user_dir(ALICE, "last_uploads").iterdir()) == []  # refused files are not kept


async def test_non_image_and_oversize_documents_are_refused_before_download(settings, emu):
    limited = replace(settings, limits=replace(settings.limits, max_reference_mb=1))
    async with Offline(configure(limited, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await choose_model(bot, alice, "nano-banana")
        await alice.send_text("a fox")
        await bot.feed()
        await alice.send_document(b"%PDF-1.4 not an image", "cv.pdf", "application/pdf")
        await bot.feed()
        assert "cv.pdf is not an image" in last_text(alice)
        big = image(1500, 1500, fmt="BMP")  # ~6.7 MB
        await alice.send_document(big, "huge.png", "image/png")
        await bot.feed()
        assert "huge.png is 6.4 MB; the limit is 1 MB" in last_text(alice)
        await alice.send_document(b"\x89PNG but broken", "fake.png", "image/png")
        await bot.feed()
        assert "fake.png is not an image" in last_text(alice)
        assert not any(c[0] == "getFile" and "huge" in str(c) for c in emu.calls)
        assert bot.engine.credits.balance(ALICE) == 10000


async def test_photo_outside_the_refs_step_gets_a_hint(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_photo(image())
    await bot.feed()
    assert "not waiting for photos" in last_text(alice)
    await alice.press("g")
    await bot.feed()
    await alice.press("m:nano-banana")
    await bot.feed()
    await alice.send_album([image(), image()])
    await bot.feed()
    hints = [m for m in alice.messages() if "First send the prompt" in (m.text or "")]
    assert len(hints) == 1  # one hint per album


async def test_stale_and_unknown_buttons_say_the_menu_expired(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await choose_model(bot, alice, "nano-banana")
    # wizard buttons of an older version (no draft id), a draft that never was, unknown ids
    for data in ("sk", "a:1:1", "go", "x", "m:nano-banana", "go:nosuchdr", "rg:999", "hi:5", "zz:unknown"):
        msg = emu.messages(ALICE)[-1]
        msg.reply_markup = {"inline_keyboard": [[{"text": "old", "callback_data": data}]]}
        query = await alice.press(data)
        await bot.feed()
        assert alice.callback_answer(query) is not None  # every press is answered
        assert "This menu has expired, start again with /start." in last_text(alice), data


async def test_unknown_input_gets_hints(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/frobnicate")
    await bot.feed()
    assert "don't know that command" in last_text(alice)
    await alice.send_sticker()
    await bot.feed()
    assert "I didn't get that" in last_text(alice)
    await alice.press("g")
    await bot.feed()
    await alice.send_sticker()  # a model is expected
    await bot.feed()
    assert "Choose a model with the buttons above" in last_text(alice)
    await alice.send_text("a fox")  # typed text is a prompt of its own (only a wizard at its prompt step takes it)
    await bot.feed()
    assert "Prompt: a fox" in last_text(alice)


async def test_prompt_limits(settings, emu):
    short = replace(settings, limits=replace(settings.limits, max_prompt_chars=10))
    async with Offline(configure(short, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await choose_model(bot, alice, "seedream-4.5")
        await alice.send_text("a very long prompt indeed")
        await bot.feed()
        assert "25 characters long; the limit is 10" in last_text(alice)


async def test_blocked_user_gets_a_short_notice_only(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    bot.engine.users.set_blocked(ALICE, True)
    before = len(alice.messages())
    for text in ("/start", "/balance", "/topup", "hello"):
        await alice.send_text(text)
    await bot.feed()
    new = alice.messages()[before:]
    assert [m.text for m in new] == ["Your account is blocked. Contact the bot's admin if you think this is a mistake."] * 4
    assert all(not m.buttons() for m in new)
    assert bot.engine.topups.pending() == []


async def test_history_pages_and_empty_history(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/history")
    await bot.feed()
    assert "no generations yet" in last_text(alice)
    assert bot.engine.history.count(HistoryFilter(user_id=ALICE)) == 0


async def test_error_handler_tells_the_user_and_logs(bot, emu, caplog):
    alice = emu.user(ALICE, "Alice")
    emu.fail_next("sendMessage", error_code=500, description="Internal Server Error: boom")
    await alice.send_text("/balance")
    with caplog.at_level("ERROR", logger="higgsctl.bot"):
        await bot.feed()
    assert "Something went wrong on my side" in last_text(alice)
    assert any("error while handling update" in r.getMessage() for r in caplog.records)


async def choose_model(bot, user, model: str) -> None:
    """/start, Generate, then the model: the wizard now waits for a prompt."""
    await user.send_text("/start")
    await bot.feed()
    await pick_model(bot, user, model)


async def pick_model(bot, user, model: str) -> None:
    for action in ("g", f"m:{model}"):
        await user.press(action)
        await bot.feed()


async def to_confirm(bot, user, model: str = "nano-banana") -> None:
    await pick_model(bot, user, model)
    await user.send_text("a fox")
    await bot.feed()
    await user.press("sk")
    await bot.feed()
    await user.press("a:1:1")
    await bot.feed()


async def test_confirm_without_enough_credits_holds_nothing(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await alice.send_text("/start")
        await bot.feed()
        await to_confirm(bot, alice)
        bot.engine.credits.debit(ALICE, 9970)  # spent elsewhere since the card
        await alice.press("go")
        await bot.feed()
        assert "Not enough credits: this costs 50, your balance is 30. Use /topup" in last_text(alice)
        assert bot.engine.history.count(HistoryFilter(user_id=ALICE)) == 0
        assert bot.engine.credits.balance(ALICE) == 30


async def test_a_double_press_on_confirm_starts_one_generation(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    await to_confirm(bot, alice)
    await alice.press("go")
    await alice.press("go")
    await bot.feed(concurrently=True)
    assert bot.engine.history.count(HistoryFilter(user_id=ALICE)) == 1
    assert not any("expired" in (m.text or "") for m in alice.messages())


async def test_buttons_of_someone_elses_generation_do_nothing(bot, emu):
    from higgsctl.engine import GenerationRequest

    bot.engine.users.register(7, first_name="Bob")
    generation = await bot.engine.generations.create(
        GenerationRequest(user_id=7, model="nano-banana", prompt="bob's fox", aspect_ratio="1:1", source="bot"))
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    for data in (f"rg:{generation.id}", f"c:{generation.id}", f"hi:{generation.id}", f"ur:{generation.id}"):
        emu.messages(ALICE)[-1].reply_markup = {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}
        await alice.press(data)
        await bot.feed()
        assert "expired" in last_text(alice), data
    assert bot.engine.generations.get(generation.id).status == "pending"
    assert bot.engine.credits.balance(ALICE) == 10000


async def test_no_higgsfield_key_is_told_without_holding_credits(settings, emu):
    configured = configure(settings, emu)
    keyless = replace(configured, higgsfield=replace(configured.higgsfield, api_key="", api_secret=""))
    async with Offline(keyless, emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await alice.send_text("/start")
        await bot.feed()
        await to_confirm(bot, alice)
        await alice.press("go")
        await bot.feed()
        assert "Image generation is unavailable right now; nothing was charged." in last_text(alice)
        assert bot.engine.credits.balance(ALICE) == 10000
        assert bot.engine.history.count(HistoryFilter(user_id=ALICE)) == 0


def test_first_press_ignores_a_quick_repeat_of_the_same_button():
    from types import SimpleNamespace

    from higgsctl.bot.handlers.guards import first_press

    context = SimpleNamespace(user_data={})

    presses = iter(range(1000))

    def press(message_id, data):  # each a new press: its own callback query id
        return SimpleNamespace(callback_query=SimpleNamespace(message=SimpleNamespace(message_id=message_id), data=data,
                                                              id=str(next(presses))))

    assert first_press(press(10, "rg:1"), context) is True
    assert first_press(press(10, "rg:1"), context) is False  # double tap
    assert first_press(press(11, "rg:1"), context) is True  # the same button on another message
    assert first_press(press(10, "rg:1"), context, window=0.0) is True  # after the window
