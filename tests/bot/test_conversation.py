"""Prompts typed straight in: typed text, /imagine, a captioned photo or album and a reply
to a result each make one confirm card; Generate on it spends (count × price, held at
once), once, after a restart too; a low balance is caught at the start. End to end against
the Bot API emulator and the Higgsfield sandbox, and through the real application fed
real Updates (``Offline``) where only the hold matters."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from telegram import Update

from higgsctl.engine import Draft, User

from .harness import ALICE, Offline, card_of, configure, eventually, generations, image, last_text

CARD = "Price: 50 credits. Balance: 10000."


async def typed_card(bot, user, prompt: str, *presses: str) -> int:
    """Type ``prompt``, press ``presses`` on its card; the card's message id."""
    await user.send_text(prompt)
    await bot.feed()
    card = card_of(user)
    for data in presses:
        await user.press(data, message_id=card)
        await bot.feed()
    return card


async def test_a_typed_prompt_becomes_a_delivered_image_in_two_taps(live, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a cat in a hat")  # tap one: send
    card = await alice.wait_for_text("Prompt: a cat in a hat")
    assert "Model: Nano Banana\nAspect: 1:1" in card.text and CARD in card.text
    assert card.button_texts()[0] == "✅ Generate for 50"
    await alice.press("go")  # tap two: Generate
    photo = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    await eventually(lambda: live.engine.generations.get(1).delivered_at is not None)
    generation = live.engine.generations.get(1)
    assert (generation.prompt, generation.model, generation.aspect_ratio) == ("a cat in a hat", "nano-banana", "1:1")
    assert generation.status == "completed" and generation.status_message_id == card.message_id
    assert photo.file_bytes and live.engine.credits.balance(ALICE) == 9950


async def test_a_reply_to_a_result_edits_that_result(live, emu, sandbox):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a red fox")
    await alice.wait_for_text("Prompt: a red fox")
    await alice.press("go")
    result = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    await eventually(lambda: live.engine.generations.get(1).delivered_at is not None)
    await alice.send_text("make it blue", reply_to=result.message_id)
    card = await alice.wait_for_text("Prompt: make it blue")
    assert "Reference photos: 1" in card.text
    await alice.press("go")
    await eventually(lambda: [g.status for g in generations(live)] == ["completed", "completed"], timeout=20)
    edit = live.engine.generations.get(2)
    first = live.engine.store.inside(Path(live.engine.generations.get(1).result_files[0]))
    assert len(edit.references) == 1
    assert live.engine.store.locate(edit.references[0]).read_bytes() == first.read_bytes()
    assert len(sandbox.requests[edit.request_id].body["input_images"]) == 1


async def test_a_reply_to_something_else_is_just_a_prompt(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    menu = alice.messages()[-1].message_id
    await alice.send_text("a quiet lake", reply_to=menu)
    await bot.feed()
    assert "Prompt: a quiet lake" in last_text(alice) and "Reference photos: 0" in last_text(alice)


async def test_imagine_and_generate_with_and_without_a_prompt(bot, emu):
    alice = emu.user(ALICE, "Alice")
    for command in ("/imagine", "/generate"):
        await alice.send_text(f"{command} a lighthouse   at dusk")
        await bot.feed()
        assert "Prompt: a lighthouse at dusk" in last_text(alice) and CARD in last_text(alice)
    await alice.send_text("/imagine")
    await bot.feed()
    assert last_text(alice) == "Send the prompt: describe the image you want."
    await alice.send_text("an owl")  # the draft waiting for its prompt takes the text
    await bot.feed()
    assert "Prompt: an owl" in last_text(alice)
    await alice.press("go")
    await bot.feed()
    assert [g.prompt for g in generations(bot)] == ["an owl"]


async def test_the_card_starts_from_the_users_defaults_then_the_last_used(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("first")
    await bot.feed()
    await alice.press("e:model")
    await bot.feed()
    await alice.press("m:seedream-4.5")
    await bot.feed()
    await alice.press("e:aspect")
    await bot.feed()
    await alice.press("a:16:9")
    await bot.feed()
    assert "Model: Seedream 4.5\nAspect: 16:9" in last_text(alice)
    await alice.press("go")
    await bot.feed()
    await alice.send_text("second")  # the last used model and aspect
    await bot.feed()
    assert "Model: Seedream 4.5\nAspect: 16:9" in last_text(alice)
    User.update(default_model="nano-banana", default_aspect="9:16").where(User.id == ALICE).execute()
    await alice.send_text("third")  # the /settings defaults come first
    await bot.feed()
    assert "Model: Nano Banana\nAspect: 9:16" in last_text(alice)


async def test_card_buttons_change_count_style_and_options_and_generate_sends_them(bot, emu):
    alice = emu.user(ALICE, "Alice")
    card = await typed_card(bot, alice, "a harbour", "e:style", "sy:anime", "e:opt.output_format",
                            "o:output_format=jpeg", "n:3")
    text = last_text(alice)
    assert "Images: 3" in text and "Style: 🌸 Anime" in text and "output_format: jpeg" in text
    assert "Price: 150 credits (3 × 50). Balance: 10000." in text
    assert "✅ Generate for 150" in alice.messages()[-1].button_texts()
    await alice.press("go", message_id=card)
    await bot.feed()
    made = generations(bot)
    assert len(made) == 3 and len({g.batch for g in made}) == 1 and made[0].batch
    assert all(g.prompt.startswith("a harbour, anime style") and g.options["output_format"] == "jpeg" for g in made)
    assert {g.status_message_id for g in made} == {card}
    # held at once: one balance change of 3 × price, before any job ran
    assert bot.engine.credits.balance(ALICE) == 10000 - 150


async def test_a_captioned_photo_and_a_captioned_album_open_a_card_with_their_references(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_photo(image(color=(1, 2, 3)), caption="this cat as a knight")
    await bot.feed()
    assert "Prompt: this cat as a knight" in last_text(alice) and "Reference photos: 1" in last_text(alice)
    await alice.send_album([image(), image(color=(9, 9, 9)), image(color=(0, 90, 0))], "three as one", caption_on=2)
    await bot.feed()
    await bot.settle()
    assert "Prompt: three as one" in last_text(alice) and "Reference photos: 3" in last_text(alice)
    await alice.press("go")
    await bot.feed()
    assert [len(g.references) for g in generations(bot)] == [3]


async def test_a_caption_while_the_wizard_waits_for_photos_is_a_new_card(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    for step in ("g", "m:nano-banana"):
        await alice.press(step)
        await bot.feed()
    await alice.send_text("wizard prompt")
    await bot.feed()
    assert "reference photos" in last_text(alice)
    await alice.send_photo(image(), caption="captioned prompt")
    await bot.feed()
    assert "Prompt: captioned prompt" in last_text(alice)


async def test_a_low_balance_is_caught_at_the_start_and_nothing_is_downloaded(settings, emu):
    poor = replace(settings, credits=replace(settings.credits, initial=30))
    async with Offline(configure(poor, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        starts = [alice.send_text("a cat"), alice.send_text("/imagine a cat"), alice.send_text("/imagine"),
                  alice.send_photo(image(), caption="a cat"), alice.send_album([image(), image()], "a cat")]
        for start in starts:
            await start
            await bot.feed()
            await bot.settle()
            assert last_text(alice).startswith("Not enough credits to start: an image costs 50, your balance is 30.")
            assert alice.messages()[-1].button_texts() == ["➕ Top up"]
        await alice.send_text("/start")
        await bot.feed()
        await alice.press("g")
        await bot.feed()
        assert last_text(alice).startswith("Not enough credits to start")
        assert not any(c[0] == "getFile" for c in emu.calls)
        assert Draft.select().count() == 0 and bot.engine.credits.balance(ALICE) == 30


async def test_double_tapped_generate_on_a_typed_card_charges_once(bot, emu):
    alice = emu.user(ALICE, "Alice")
    card = await typed_card(bot, alice, "twice")
    for _ in range(3):
        await alice.press("go", message_id=card)
    await bot.feed(concurrently=True)
    assert len(generations(bot)) == 1 and bot.engine.credits.balance(ALICE) == 9950
    assert not any("expired" in (m.text or "") for m in alice.messages())


async def test_a_typed_card_survives_a_restart_and_confirms_once_across_two_processes(settings, emu):
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        card = await typed_card(bot, alice, "before the restart")
    async with Offline(configured, emu) as first, Offline(configured, emu) as second:
        await alice.press("go", message_id=card)  # the same card pressed twice, each press
        await alice.press("go", message_id=card)  # handled by another process on one database
        raw = emu.pending_updates()
        await first.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
        processes = (first, second)
        await asyncio.gather(*(p.app.process_update(Update.de_json(data, p.app.bot)) for p, data in zip(processes, raw)))
        assert [g.prompt for g in generations(first)] == ["before the restart"]
        assert first.engine.credits.balance(ALICE) == 9950


HOSTILE = {
    "markup": "<b>bold</b> *star* _under_ [link](http://x.y) `code` {prompt} {0} %s",
    "rtl": "قطة ترتدي قبعة \u202e reversed \u202c שלום",
    "emoji": "🐱‍👤🎩👩🏽‍🚀 " * 10,
    "zalgo": "c\u0336a\u0336t\u0336 " + "\u0301" * 50,
}


@pytest.mark.parametrize("kind", list(HOSTILE))
async def test_hostile_prompts_get_a_card_that_shows_them_as_typed(bot, emu, kind, caplog):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text(HOSTILE[kind])
    await bot.feed()
    shown = " ".join(HOSTILE[kind].split())
    assert f"Prompt: {shown}" in last_text(alice) and alice.messages()[-1].entities == []
    assert "error while handling" not in caplog.text


@pytest.mark.parametrize("text, said", [
    (" \n\t \u3000", "Please describe the image in words."),
    ("x" * 4096, "The prompt is 4096 characters long; the limit is 2000. Please shorten it."),
])
async def test_empty_and_overlong_prompts_get_a_clear_message_and_no_card(bot, emu, text, said, caplog):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text(text)
    await bot.feed()
    assert last_text(alice) == said
    assert Draft.select().count() == 0 and "error while handling" not in caplog.text


async def test_a_long_prompt_in_two_parts_is_one_card(settings, emu):
    roomy = replace(settings, limits=replace(settings.limits, max_prompt_chars=6000))
    async with Offline(configure(roomy, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        first, second = "a " * 2048, "b " * 500
        await alice.send_text(first.strip() + " ")
        await alice.send_text(second.strip())
        await bot.feed()
        cards = [m for m in alice.messages() if "Prompt:" in (m.text or "")]
        assert len(cards) == 1 and "Prompt: a a" in cards[0].text and cards[0].text.count("…") == 1
        await alice.press("go")
        await bot.feed()
        assert generations(bot)[0].prompt.endswith("b b b")


async def test_regenerate_asks_with_the_price_unless_the_user_turned_that_off(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a fox")
    await bot.feed()
    await alice.press("go")
    await bot.feed()
    first = generations(bot)[0].id

    async def press(data: str, on: int = 0) -> None:  # a result's buttons (a failure's Try again is rg: too)
        status = alice.messages()[on]
        status.reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
        await alice.press(data, message_id=status.message_id)
        await bot.feed()

    await press(f"rg:{first}")
    assert "Prompt: a fox" in last_text(alice) and "Price: 50 credits. Balance:" in last_text(alice)
    assert len(generations(bot)) == 1  # nothing spent yet
    await press(f"np:{first}")
    assert "Send the new prompt for Nano Banana · 1:1" in last_text(alice)
    await alice.send_text("a wolf")
    await bot.feed()
    assert "Prompt: a wolf" in last_text(alice) and "Aspect: 1:1" in last_text(alice)
    User.update(confirm_repeats=False).where(User.id == ALICE).execute()
    await press(f"rg:{first}", on=-1)  # another message: a tap on the first within seconds is a double tap
    assert [g.prompt for g in generations(bot)] == ["a fox", "a fox"]  # spent without asking


async def test_generate_beyond_the_balance_keeps_the_card_to_change(settings, emu):
    poor = replace(settings, credits=replace(settings.credits, initial=120))
    async with Offline(configure(poor, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        card = await typed_card(bot, alice, "a pricey fox", "n:3")
        assert "Price: 150 credits (3 × 50). Balance: 120." in last_text(alice) and "too low" in last_text(alice)
        await alice.press("go", message_id=card)
        await bot.feed()
        assert last_text(alice).startswith("Not enough credits: this costs 150, your balance is 120.")
        assert generations(bot) == [] and bot.engine.credits.balance(ALICE) == 120
        await alice.press("n:2", message_id=card)  # the card still works
        await bot.feed()
        bot.app.user_data[ALICE].pop("presses")  # seconds later: not a double tap of the first Generate
        await alice.press("go", message_id=card)
        await bot.feed()
        assert len(generations(bot)) == 2 and bot.engine.credits.balance(ALICE) == 20


async def test_three_images_from_one_card_are_held_at_once_and_all_delivered(live, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("three foxes")
    await alice.wait_for_text("Prompt: three foxes")
    await alice.press("n:3")
    await alice.wait_for_text("Price: 150 credits (3 × 50). Balance: 10000.")
    await alice.press("go")
    await eventually(lambda: len(generations(live)) == 3)
    made = generations(live)
    assert len({g.batch for g in made}) == 1 and made[0].batch is not None
    await eventually(lambda: all(g.delivered_at is not None for g in generations(live)), timeout=30)
    assert live.engine.credits.balance(ALICE) == 10000 - 150
    assert all(g.status == "completed" and g.charge == "captured" for g in generations(live))
    delivered = [m for m in alice.messages() if m.kind == "photo"]
    assert len(delivered) == 3 and all(m.file_bytes for m in delivered)


async def test_the_same_generate_update_delivered_twice_starts_one_generation(bot, emu):
    """A webhook retried, or a restart before the offset was confirmed: the same update again."""
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("once only")
    await bot.feed()
    await alice.press("go")
    raw = emu.pending_updates()
    await bot.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
    update = raw[-1]
    await asyncio.gather(*(bot.app.process_update(Update.de_json(update, bot.app.bot)) for _ in range(2)))
    bot.app.user_data[ALICE].pop("presses")  # and once more, long after: the draft itself says no
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    assert [g.prompt for g in generations(bot)] == ["once only"] and bot.engine.credits.balance(ALICE) == 9950


async def test_a_card_whose_model_left_the_catalog_after_a_restart_picks_another(settings, emu):
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        card = await typed_card(bot, alice, "a seedream fox", "e:model", "m:seedream-4.5")
    smaller = replace(configured, models={"nano-banana": configured.models["nano-banana"]})
    async with Offline(smaller, emu) as bot:
        await alice.press("n:2", message_id=card)
        await bot.feed()
        assert "Model: Nano Banana" in last_text(alice) and "Images: 2" in last_text(alice)
        await alice.press("go", message_id=card)
        await bot.feed()
        assert [(g.model, g.prompt) for g in generations(bot)] == [("nano-banana", "a seedream fox")] * 2


async def test_a_reply_to_an_album_edits_that_batch_even_when_its_prompt_names_another_id(live, emu, sandbox):
    """An album's photos carry no buttons; its caption starts with the user's prompt, which
    may hold "#1": the ids the bot wrote (its `code` entities) decide which result is edited."""
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a red fox")
    await alice.wait_for_text("Prompt: a red fox")
    await alice.press("go")
    await eventually(lambda: [g.delivered_at is not None for g in generations(live)] == [True], timeout=20)
    await alice.send_text("like #1 but in winter")
    await alice.wait_for_text("Prompt: like #1 but in winter")
    await alice.press("n:2")
    await alice.wait_for_text("Images: 2")  # as a user would: a Generate pressed before the redraw names the old price
    await alice.press("go")
    await eventually(lambda: [g.status for g in generations(live)] == ["completed"] * 3, timeout=30)
    album = await alice.wait_for(lambda m: m.kind == "photo" and "winter" in (m.caption or ""), timeout=20)
    await alice.send_text("make it night", reply_to=album.message_id)
    await alice.wait_for_text("Prompt: make it night")
    await alice.press("go")
    await eventually(lambda: len(generations(live)) == 4 and generations(live)[-1].status == "completed", timeout=30)
    edit = generations(live)[-1]
    batch_first = live.engine.store.inside(Path(live.engine.generations.get(2).result_files[0]))
    assert live.engine.store.locate(edit.references[0]).read_bytes() == batch_first.read_bytes()
