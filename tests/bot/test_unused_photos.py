"""Reference photos and a model that takes none (or fewer): the user is never left to find
out from the result. "Use as reference" offers only the models that take the picture and
names the others; on a card, a model that leaves photos out is marked in the menu, the card
says so plainly, in the user's language, before anything is spent, keeps the photos, and
offers the model that takes them one tap away. Real PTB Updates through the real application
and the emulator, a real SQLite engine; once end to end with the sandbox, polling."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine import GenerationRequest, HistoryFilter
from higgsctl.sandbox import Sandbox
from higgsctl.launch import sandbox_options

from .harness import ALICE, Offline, Running, configure, eventually, image, last_text


def catalog(settings):
    """A cheap text-only model first (the one typed prompts start with), one that takes two
    photos, and Nano Banana."""
    nano = settings.models["nano-banana"]
    sketch = replace(nano, key="sketch", label="Sketch", application="sketch/text-to-image", price=30,
                     max_references=0, options={})
    duo = replace(nano, key="duo", label="Duo", application="duo/edit", price=40, max_references=2, options={})
    return replace(settings, models={"sketch": sketch, "nano-banana": nano, "duo": duo})


@pytest.fixture
async def bot(settings, emu):
    async with Offline(configure(catalog(settings), emu), emu) as offline:
        yield offline


async def press(bot, user, *buttons: str, on: int | None = None) -> None:
    """Press ``buttons`` one after the other (on message ``on``), each answered before the next."""
    for button in buttons:
        await user.press(button, message_id=on)
        await bot.feed()


async def say(bot, user, text: str) -> None:
    await user.send_text(text)
    await bot.feed()


def generations(bot) -> list:
    return list(reversed(bot.engine.history.list(HistoryFilter(user_id=ALICE))))


async def finished_result(bot, user, model: str) -> int:
    """A delivered result of ``user``'s; its generation id."""
    generation = await bot.engine.generations.create(GenerationRequest(
        user_id=user.id, model=model, prompt="a fox", aspect_ratio="1:1", source="bot",
        chat_id=user.id))
    path = bot.engine.store.result_path(user.id, generation.id, 0, ".png")
    path.write_bytes(image())
    bot.engine.generations.finish(generation.id, "completed", files=[bot.engine.store.relative(path)])
    return generation.id


async def use_as_reference(bot, user, model: str = "nano-banana") -> None:
    await say(bot, user, "/start")
    generation_id = await finished_result(bot, user, model)
    status = user.messages()[-1]
    status.reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": f"ur:{generation_id}"}]]}
    await press(bot, user, f"ur:{generation_id}", on=status.message_id)


@pytest.mark.parametrize(("lang", "said", "hidden"), [
    ("en", "The image is added as a reference. Choose a model",
     "Not listed, as they take no reference photos: Sketch."),
    ("ru", "Картинка добавлена как референс. Выберите модель",
     "Не показаны, так как не принимают референсы: Sketch."),
])
async def test_use_as_reference_offers_only_the_models_that_take_it_and_names_the_others(bot, emu, lang, said,
                                                                                       hidden):
    alice = emu.user(ALICE, "Alice", language_code=lang)
    await use_as_reference(bot, alice)
    menu = alice.messages()[-1]
    assert menu.text.startswith(said) and menu.text.endswith(hidden)
    assert [b["callback_data"].split(":")[1] for b in menu.buttons()[:-1]] == ["nano-banana", "duo"]
    await press(bot, alice, "m:nano-banana")
    await say(bot, alice, "the same fox at night")
    await press(bot, alice, "sk", "a:1:1")
    assert "Reference photos: 1\n" in last_text(alice) or "Референсов: 1\n" in last_text(alice)
    await press(bot, alice, "go")
    assert [len(g.references) for g in generations(bot)] == [0, 1]  # (the first: the result it started from)


async def test_use_as_reference_with_no_model_that_takes_photos_shows_them_all_and_the_card_says_so(settings, emu):
    text_only = catalog(settings)
    text_only = replace(text_only, models={"sketch": text_only.models["sketch"]})
    async with Offline(configure(text_only, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await use_as_reference(bot, alice, "sketch")
        assert alice.messages()[-1].button_texts()[0] == "Sketch · 30 cr · no photos"
        await press(bot, alice, "m:sketch")
        await say(bot, alice, "a fox")
        await press(bot, alice, "a:1:1")
        assert "Reference photos: 0\n" in last_text(alice)
        assert "⚠️ Sketch does not use reference photos: your 1 photo(s) will not be sent" in last_text(alice)
        assert not any(b.startswith("🖼 Use the photos") for b in alice.messages()[-1].button_texts())


@pytest.mark.parametrize(("lang", "marked", "warned", "back"), [
    ("en", "Sketch · 30 cr · no photos",
     "⚠️ Sketch does not use reference photos: your 1 photo(s) will not be sent (they stay on this card).",
     "🖼 Use the photos: Nano Banana"),
    ("ru", "Sketch · 30 кр. · без фото",
     "⚠️ Sketch не использует референсы: ваши фото (1) не будут отправлены (они остаются в карточке).",
     "🖼 С фото: Nano Banana"),
])
async def test_a_captioned_photo_switched_to_a_model_without_photos_is_told_and_gets_them_back(bot, emu, lang,
                                                                                               marked, warned, back):
    alice = emu.user(ALICE, "Alice", language_code=lang)
    await alice.send_photo(image(color=(1, 2, 3)), caption="this cat as a knight")
    await bot.feed()
    await bot.settle()
    card = alice.messages()[-1]
    assert ("Nano Banana" in card.text) and ("Reference photos: 1\n" in card.text or "Референсов: 1\n" in card.text)
    await press(bot, alice, "e:model", on=card.message_id)
    assert marked in alice.messages()[-1].button_texts()
    await press(bot, alice, "m:sketch", on=card.message_id)
    assert warned in last_text(alice) and ("Reference photos: 0\n" in last_text(alice) or "Референсов: 0\n"
                                           in last_text(alice))
    assert alice.messages()[-1].button_texts()[1] == back
    await press(bot, alice, back, on=card.message_id)  # one tap: the photo is back, nothing was lost
    assert "Nano Banana" in last_text(alice) and "⚠️" not in last_text(alice)
    assert "Reference photos: 1\n" in last_text(alice) or "Референсов: 1\n" in last_text(alice)
    await press(bot, alice, "go", on=card.message_id)
    assert [(g.model, len(g.references)) for g in generations(bot)] == [("nano-banana", 1)]


async def test_an_album_on_a_model_that_takes_fewer_says_which_are_sent_and_sends_those(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_album([image(color=(c, c, c)) for c in (10, 20, 30)], "three cats", caption_on=1)
    await bot.feed()
    await bot.settle()
    card = alice.messages()[-1].message_id
    await press(bot, alice, "e:model", on=card)
    assert "Duo · 40 cr · 2 photos" in alice.messages()[-1].button_texts()
    await press(bot, alice, "m:duo", on=card)
    assert "⚠️ Duo takes at most 2 reference photos: only the first 2 of your 3 will be sent" in last_text(alice)
    assert "Reference photos: 2\n" in last_text(alice)
    await press(bot, alice, "go", on=card)
    sent = generations(bot)[0]
    assert (sent.model, len(sent.references), sent.cost) == ("duo", 2, 40)


async def test_the_card_says_it_before_spending_and_the_sandbox_gets_no_photo_end_to_end(settings, emu):
    """Polling over real HTTP with the sandbox: a Sketch card that said the photo is not used
    charges Sketch's price and sends no photo; switched back, the photo is sent."""
    configured = catalog(settings)
    async with Sandbox(sandbox_options(configured, service_time=0.3)) as sandbox:
        live = await Running(configure(configured, emu, sandbox)).start()
        try:
            alice = emu.user(ALICE, "Alice")
            await alice.send_photo(image(color=(5, 6, 7)), caption="a knight")
            card = await alice.wait_for(lambda m: "Reference photos: 1\n" in (m.text or ""))
            await alice.press("e:model", message_id=card.message_id)
            await alice.wait_for(lambda m: "Sketch · 30 cr · no photos" in m.button_texts())
            await alice.press("m:sketch", message_id=card.message_id)
            await alice.wait_for(lambda m: "Sketch does not use reference photos" in (m.text or ""))
            await alice.press("go", message_id=card.message_id)
            await eventually(lambda: [g.status for g in generations(live)] == ["completed"], timeout=30)
            first = generations(live)[0]
            record = sandbox.requests[first.request_id]
            assert record.application == "sketch/text-to-image" and "input_images" not in record.body
            assert (first.cost, live.engine.credits.balance(ALICE)) == (30, 10000 - 30)
            assert not first.references
        finally:
            await live.stop()


async def test_a_style_that_brings_a_model_without_photos_keeps_them_and_the_card_says_so(settings, emu):
    from higgsctl.engine.styles import StyleSpec

    pencil = StyleSpec(name="pencil", template="pencil sketch of {prompt}", labels={"en": "Pencil"}, model="sketch")
    styled = replace(catalog(settings), styles={"pencil": pencil})
    async with Offline(configure(styled, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await alice.send_photo(image(), caption="a cat")
        await bot.feed()
        await bot.settle()
        card = alice.messages()[-1].message_id
        await press(bot, alice, "e:style", "sy:pencil", on=card)
        assert "Model: Sketch" in last_text(alice) and "Sketch does not use reference photos" in last_text(alice)
        await press(bot, alice, "🖼 Use the photos: Nano Banana", on=card)
        assert "Model: Nano Banana" in last_text(alice) and "Reference photos: 1\n" in last_text(alice)


async def test_generate_pressed_on_a_card_that_did_not_yet_say_the_photo_is_left_out_spends_nothing(settings, emu):
    """The same price, so the button's price can't tell: the pressed card showed the photo as
    sent (the model was switched a moment before, the card not yet redrawn)."""
    same_price = catalog(settings)
    same_price = replace(same_price, models={**same_price.models,
                                             "sketch": replace(same_price.models["sketch"], price=50)})
    async with Offline(configure(same_price, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await alice.send_photo(image(), caption="a cat")
        await bot.feed()
        await bot.settle()
        card = alice.messages()[-1]
        old_text, old_markup = card.text, card.reply_markup
        await press(bot, alice, "e:model", "m:sketch", on=card.message_id)
        card.text, card.reply_markup = old_text, old_markup  # what the user still saw
        await press(bot, alice, "go", on=card.message_id)
        assert generations(bot) == [] and bot.engine.credits.balance(ALICE) == 10000
        assert "Sketch does not use reference photos" in last_text(alice)
        await press(bot, alice, "go", on=card.message_id)  # pressed on what the card says now
        assert [(g.model, len(g.references)) for g in generations(bot)] == [("sketch", 0)]
