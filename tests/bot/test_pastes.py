"""A long paste Telegram split into several messages, where a part starts with "/word" (the
split fell before "and/or", "/imagine", "/start"): the part is text of the paste, never a
command, and the paste is one prompt. A command typed on its own still works. Real PTB
Updates through the real application, the emulator's UTF-16 splits, a real SQLite engine;
and once end to end over real HTTP, polling, with the sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine import HistoryFilter
from tests.fakes.emulator_formatting import utf16_len

from .harness import ALICE, Offline, Running, configure, eventually

SPLIT = 4096  # UTF-16 code units: where Telegram cuts a long text
FILLERS = {"latin": "a fox in the snow ", "cyrillic": "лиса в снегу ", "emoji": "🦊 in ❄️ snow 🌨 "}
CONTINUATIONS = ["/x marks the spot", "/imagine a hare too", "/start of the day", "// two slashes",
                 "/buy nothing", "/start@higgs_bot again", "/help", "/or a wolf"]


def head(filler: str, end: str = " and") -> str:
    """A first part of exactly SPLIT UTF-16 units, ending with ``end``: the cut falls right after it."""
    text = ""
    while utf16_len(text + filler + end) <= SPLIT:
        text += filler
    text += " " * (SPLIT - utf16_len(text + end))
    return text + end


def whole(text: str) -> str:
    return " ".join(text.split())  # as the card keeps a prompt


def roomy(settings):
    return replace(settings, limits=replace(settings.limits, max_prompt_chars=12000))


@pytest.fixture
async def bot(settings, emu):
    async with Offline(configure(roomy(settings), emu), emu) as offline:
        yield offline


async def said_after(bot, user, *texts: str, concurrently: bool = True) -> list[str]:
    """What the bot answered to ``texts``, sent as one paste (cut where Telegram cuts it)."""
    before = len(user.messages())
    await user.send_paste("".join(texts))
    await bot.feed(concurrently=concurrently)
    return [m.text or "" for m in user.messages()[before:]]


async def registered(bot, emu, lang: str = "en"):
    user = emu.user(ALICE, "Alice", language_code=lang)
    await user.send_text("/start")
    await bot.feed()
    return user


@pytest.mark.parametrize("concurrently", [True, False], ids=["concurrent", "one-by-one"])
@pytest.mark.parametrize("filler", FILLERS, ids=list(FILLERS))
@pytest.mark.parametrize("continuation", CONTINUATIONS)
async def test_a_paste_part_that_starts_with_a_slash_word_is_text_of_the_paste(bot, emu, continuation, filler,
                                                                               concurrently):
    alice = await registered(bot, emu)
    first = head(FILLERS[filler])
    said = await said_after(bot, alice, first, continuation, concurrently=concurrently)
    assert len(said) == 1 and said[0].startswith("Model: Nano Banana"), said  # one card, no command ran
    assert bot.engine.drafts.current(ALICE).prompt == whole(first + continuation)
    assert len(emu.messages(ALICE)[-1].text) < SPLIT  # (the card shows the start of a long prompt)


async def test_the_continuation_carries_a_bot_command_entity_at_offset_0(bot, emu):
    """What makes PTB route the part to a command handler, checked on what the bot received."""
    alice = await registered(bot, emu)
    raw_before = len(emu.pending_updates())
    await alice.send_paste(head(FILLERS["emoji"]) + "/start over")
    updates = emu.pending_updates()[raw_before:]
    assert [u["message"].get("entities") for u in updates] == [
        None, [{"type": "bot_command", "offset": 0, "length": 6}]]
    await bot.feed(concurrently=True)
    assert bot.engine.drafts.current(ALICE).prompt.endswith("and/start over")
    assert not any("Welcome back" in (m.text or "") for m in alice.messages()[2:])


async def test_a_paste_in_three_parts_with_two_slash_words_is_one_prompt(bot, emu):
    alice = await registered(bot, emu, "ru")
    first, second = head(FILLERS["cyrillic"]), head(FILLERS["latin"], end=" and")
    second = "/imagine " + second[len("/imagine "):]
    said = await said_after(bot, alice, first, second, "/start the rest")
    assert len(said) == 1 and said[0].startswith("Модель: Nano Banana"), said
    assert bot.engine.drafts.current(ALICE).prompt == whole(first + second + "/start the rest")


async def test_a_command_typed_on_its_own_still_works(bot, emu):
    alice = await registered(bot, emu)
    said = await said_after(bot, alice, head(FILLERS["latin"]), "/or a wolf")
    assert len(said) == 1
    before = len(alice.messages())
    await alice.send_text("/help")  # after the paste was taken
    await bot.feed()
    assert alice.messages()[before].text.startswith("How it works")
    before = len(alice.messages())
    await alice.send_text("a short fox")  # a short text, then a command in the same second
    await alice.send_text("/help")
    await bot.feed(concurrently=True)
    said = sorted(m.text or "" for m in alice.messages()[before:])
    assert said[0].startswith("How it works") and said[1].startswith("Model:") and "Prompt: a short fox\n" in said[1]


async def test_a_command_sent_seconds_after_a_full_length_part_is_a_command(bot, emu):
    """Only what comes within the paste window continues it."""
    alice = await registered(bot, emu)
    before = len(alice.messages())
    first = head(FILLERS["latin"])
    await alice.send_text(first)
    await alice.send_text("/help")
    emu.pending_updates()[-1]["message"]["date"] += 2  # (as Telegram dates it: two seconds later)
    await bot.feed(concurrently=True)
    said = sorted(m.text or "" for m in alice.messages()[before:])
    assert said[0].startswith("How it works") and said[1].startswith("Model:"), said
    assert bot.engine.drafts.current(ALICE).prompt == whole(first)


@pytest.mark.parametrize("command", ["/imagine", "/generate"])
@pytest.mark.parametrize("continuation", ["the rest of the scene", "/start of the rest"])
async def test_a_long_imagine_prompt_in_two_parts_is_one_card(bot, emu, command, continuation):
    alice = await registered(bot, emu)
    first = command + " " + head(FILLERS["latin"])[len(command) + 1:]
    said = await said_after(bot, alice, first, continuation)
    assert len(said) == 1 and said[0].startswith("Model: Nano Banana"), said
    assert bot.engine.drafts.current(ALICE).prompt == whole(first[len(command):] + continuation)


async def test_imagine_alone_and_the_prompt_typed_right_after_are_two_texts(bot, emu):
    alice = await registered(bot, emu)
    before = len(alice.messages())
    await alice.send_text("/imagine")
    await alice.send_text("a fox on the ice")
    await bot.feed(concurrently=True)
    said = [m.text or "" for m in alice.messages()[before:]]
    assert said[0] == "Send the prompt: describe the image you want.", said
    assert len(said) == 2 and "Prompt: a fox on the ice\n" in said[1], said


def test_a_part_of_split_length_in_utf16_units_waits_for_the_rest():
    """4096 UTF-16 units of emoji are 2048 characters: still a full part."""
    from datetime import datetime, timezone

    from telegram import Chat, Message

    from higgsctl.bot.handlers.pastes import Paste, _quiet_time

    part = Message(10, datetime(2026, 1, 1, tzinfo=timezone.utc), Chat(1, "private"), text="🦊" * (SPLIT // 2))
    assert len(part.text) < 3500 and _quiet_time(Paste([part]), album_delay=1.0) == 1.0


async def test_a_split_paste_with_a_slash_word_end_to_end(settings, emu, sandbox):
    """Polling over real HTTP, as `higgsctl bot run` does: one card, and the sandbox is sent
    the whole prompt."""
    live = await Running(configure(roomy(settings), emu, sandbox)).start()
    try:
        alice = emu.user(ALICE, "Alice")
        first = head(FILLERS["emoji"])
        await alice.send_paste(first + "/start with a hare")
        card = await alice.wait_for(lambda m: "Prompt:" in (m.text or ""))
        await alice.press("go", message_id=card.message_id)
        await eventually(lambda: [g.status for g in live.engine.history.list(HistoryFilter(user_id=ALICE))]
                         == ["completed"], timeout=30)
        generation = live.engine.history.list(HistoryFilter(user_id=ALICE))[0]
        assert generation.prompt == whole(first + "/start with a hare")
        assert sandbox.requests[generation.request_id].body["prompt"] == generation.prompt
        assert not any("Welcome" in (m.text or "") for m in alice.messages())
        cards = [m for m in alice.messages() if any("Prompt:" in (text or "") for text in [*m.history, m.text])]
        assert cards == [card]  # (it became the status message, then the result)
    finally:
        await live.stop()
