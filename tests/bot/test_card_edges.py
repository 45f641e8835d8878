"""Edges of the confirm card found in review: what a card shows is what Generate can run."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from telegram import Update

from higgsctl.engine import User
from higgsctl.engine.styles import StyleSpec

from .harness import ALICE, Offline, card_of, configure, eventually, generations, image, last_text


async def test_a_reply_to_a_batchs_photo_that_names_no_image_says_how_instead_of_a_card_without_it(live, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a red fox")
    await alice.wait_for_text("Prompt: a red fox")
    await alice.press("n:2")
    await alice.wait_for_text("Images: 2")
    await alice.press("go")
    await eventually(lambda: len(generations(live)) == 2 and all(g.delivered_at for g in generations(live)), timeout=30)
    photos = [m for m in alice.messages() if m.kind == "photo"]
    second = next(m for m in alice.messages() if m.kind == "document" and "#2" in (m.text or ""))
    await alice.send_text("make it blue", reply_to=photos[1].message_id)  # no caption, no buttons
    said = await alice.wait_for_text("which image of the album")
    assert "original file" in said.text and not said.buttons()
    await alice.send_text("make it green", reply_to=second.message_id)  # its file names it
    card = await alice.wait_for_text("Prompt: make it green")
    assert "Reference photos: 1" in card.text
    await alice.press("go")
    await eventually(lambda: len(generations(live)) == 3)
    edit, made = generations(live)[2], generations(live)[1]
    result = live.engine.store.inside(Path(made.result_files[0]))
    assert live.engine.store.locate(edit.references[0]).read_bytes() == result.read_bytes()


async def test_imagine_as_a_reply_to_a_result_edits_that_result(live, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a red fox")
    await alice.wait_for_text("Prompt: a red fox")
    await alice.press("go")
    result = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    await eventually(lambda: generations(live)[0].delivered_at is not None)
    await alice.send_text("/imagine make it blue", reply_to=result.message_id)
    card = await alice.wait_for_text("Prompt: make it blue")
    assert "Reference photos: 1" in card.text


async def test_a_style_that_brings_its_model_keeps_only_the_references_that_model_takes(settings, emu):
    styles = {"wide": StyleSpec(name="wide", template="{prompt}, wide", labels={"en": "Wide", "ru": "Широко"},
                                model="nano-banana")}  # Nano Banana takes 8 references, Seedream 14
    async with Offline(configure(replace(settings, styles=styles), emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        await alice.send_text("/start")
        await bot.feed()
        User.update(default_model="seedream-4.5").where(User.id == ALICE).execute()
        await alice.send_album([image(color=(i, i, i)) for i in range(10)], "ten of them")
        await bot.feed()
        await bot.settle()
        assert "Model: Seedream 4.5" in last_text(alice) and "Reference photos: 10" in last_text(alice)
        for data in ("e:style", "sy:wide"):
            await alice.press(data)
            await bot.feed()
        assert "Model: Nano Banana" in last_text(alice) and "Reference photos: 8" in last_text(alice)
        await alice.press("go")
        await bot.feed()
        assert [len(g.references) for g in generations(bot)] == [8]
        assert bot.engine.credits.balance(ALICE) == 10000 - 50


async def test_the_same_text_update_delivered_twice_opens_one_card(bot, emu):
    """A webhook retried while the text was still being collected: the same message again."""
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("just one card")
    raw = emu.pending_updates()
    await bot.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
    await asyncio.gather(*(bot.app.process_update(Update.de_json(raw[-1], bot.app.bot)) for _ in range(2)))
    await bot.settle()
    cards = [m for m in alice.messages() if "Prompt: just one card" in (m.text or "")]
    assert len(cards) == 1


async def test_the_same_captioned_photo_delivered_twice_opens_one_card(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_photo(image(), caption="one knight")
    raw = emu.pending_updates()
    await bot.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
    await asyncio.gather(*(bot.app.process_update(Update.de_json(raw[-1], bot.app.bot)) for _ in range(2)))
    await bot.settle()
    assert len([m for m in alice.messages() if "Prompt: one knight" in (m.text or "")]) == 1


async def test_a_regenerate_press_delivered_again_later_spends_once(bot, emu):
    """No confirm card (the user turned it off): the same press again, past the double-tap
    window (a webhook retried minutes later), must not hold the price a second time."""
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a fox")
    await bot.feed()
    await alice.press("go")
    await bot.feed()
    first = generations(bot)[0].id
    User.update(confirm_repeats=False).where(User.id == ALICE).execute()
    status = alice.messages()[0]
    status.reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": f"rg:{first}"}]]}
    await alice.press(f"rg:{first}", message_id=status.message_id)
    raw = emu.pending_updates()
    await bot.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
    await bot.app.process_update(Update.de_json(raw[-1], bot.app.bot))
    bot.app.user_data[ALICE].pop("presses")  # the double-tap window has passed
    await bot.app.process_update(Update.de_json(raw[-1], bot.app.bot))
    assert [g.prompt for g in generations(bot)] == ["a fox", "a fox"]


async def test_other_aspect_names_its_price_when_a_ratio_spends_without_a_card(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a fox")
    await bot.feed()
    await alice.press("go")
    await bot.feed()
    first = generations(bot)[0].id
    status = alice.messages()[0]
    status.reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": f"oa:{first}"}]]}
    await alice.press(f"oa:{first}", message_id=status.message_id)
    await bot.feed()
    assert "50 credits" not in last_text(alice)  # a ratio opens a card with the price
    User.update(confirm_repeats=False, language="ru").where(User.id == ALICE).execute()
    status.reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": f"oa:{first}"}]]}
    await alice.press(f"oa:{first}", message_id=status.message_id)
    await bot.feed()
    assert "стоит 50 кр." in last_text(alice)


async def test_a_card_refused_at_the_hold_comes_back_to_change(settings, emu):
    """Two cards confirmed at once, each within the balance read as the press arrived: the
    second hold is refused, and its card comes back (before, the draft was used up)."""
    poor = replace(settings, credits=replace(settings.credits, initial=120))
    async with Offline(configure(poor, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        cards = []
        for prompt in ("first fox", "second fox"):
            await alice.send_text(prompt)
            await bot.feed()
            cards.append(card_of(alice))
            await alice.press("n:2", message_id=cards[-1])
            await bot.feed()
        for card in cards:
            await alice.press("go", message_id=card)
        await bot.feed(concurrently=True)
        assert len(generations(bot)) == 2 and bot.engine.credits.balance(ALICE) == 20
        assert any((m.text or "").startswith("Not enough credits: this costs 100") for m in alice.messages())
        again = card_of(alice)
        assert again not in cards and "Price: 100 credits (2 × 50). Balance: 20." in last_text(alice)
        await alice.press("n:1", message_id=again)
        await bot.feed()
        assert "Price: 50 credits. Balance: 20." in last_text(alice)


async def test_the_same_imagine_delivered_twice_opens_one_card(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/imagine one lighthouse")
    raw = emu.pending_updates()
    await bot.app.bot.get_updates(offset=raw[-1]["update_id"] + 1, timeout=0)
    for _ in range(2):
        await bot.app.process_update(Update.de_json(raw[-1], bot.app.bot))
    await bot.settle()  # /imagine is collected as typed text is (its prompt may go on in a next part)
    assert len([m for m in alice.messages() if "Prompt: one lighthouse" in (m.text or "")]) == 1


async def test_generate_pressed_before_the_card_showed_the_new_count_spends_nothing_and_redraws(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("a harbour")
    await bot.feed()
    card = card_of(alice)
    await alice.press("n:3", message_id=card)  # and Generate, still "for 50", before the redraw arrived
    await alice.press("go", message_id=card)
    await bot.feed()
    assert generations(bot) == [] and bot.engine.credits.balance(ALICE) == 10000
    assert "✅ Generate for 150" in alice.messages()[-1].button_texts()
    await alice.press("go", message_id=card)  # what it names now
    await bot.feed()
    assert len(generations(bot)) == 3 and bot.engine.credits.balance(ALICE) == 10000 - 150
