"""Buttons name what they act on: a wizard's buttons its draft, a result's buttons its
generation. A button from an older message acts on exactly that (Confirm runs what its card
shows) or says the menu expired; it never acts on a newer wizard. Real PTB Updates through
the real application, the Telegram emulator, a real SQLite engine."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from higgsctl.bot.drafts import KEEP
from higgsctl.engine import GenerationRequest, HistoryFilter, User

from .harness import ADMIN, ALICE, Offline, configure, image, last_text

EXPIRED = "This menu has expired, start again with /start."
EXPIRED_TEXTS = (EXPIRED, "Это меню устарело, начните заново с /start.")


def newest(user, needle: str = "") -> int:
    """The id of the newest bot message with buttons (and ``needle`` in its text)."""
    return next(m.message_id for m in reversed(user.messages()) if m.buttons() and needle in (m.text or ""))


def text_of(user, message_id: int) -> str:
    return next(m.text or "" for m in user.messages() if m.message_id == message_id)


def generations(bot) -> list[tuple[str, str]]:
    """(prompt, aspect) of every generation, oldest first."""
    return [(g.prompt, g.aspect_ratio) for g in reversed(bot.engine.history.list(HistoryFilter(user_id=ALICE)))]


async def wizard_to(bot, user, step: str, prompt: str, aspect: str) -> int:
    """A new wizard (from /start's menu) up to ``step``; returns the id of the message showing
    that step's buttons."""
    actions = [("menu", "text", "/start"), ("model", "press", "g"), ("prompt", "press", "m:nano-banana"),
               ("refs", "text", prompt), ("aspect", "press", "sk"), ("confirm", "press", f"a:{aspect}")]
    for name, kind, value in actions:
        await (user.press(value) if kind == "press" else user.send_text(value))
        await bot.feed()
        if name == step:
            return newest(user)
    raise ValueError(step)


async def test_confirm_on_an_older_card_runs_that_card_not_the_newer_wizard(bot, emu):
    alice = emu.user(ALICE, "Alice")
    card_a = await wizard_to(bot, alice, "confirm", "prompt A", "1:1")
    card_b = await wizard_to(bot, alice, "confirm", "prompt B", "9:16")
    assert "Prompt: prompt A" in text_of(alice, card_a) and "Aspect: 1:1" in text_of(alice, card_a)

    await alice.press("go", message_id=card_a)
    await bot.feed()
    assert generations(bot) == [("prompt A", "1:1")]  # what A's card showed, not B
    assert bot.engine.generations.get(1).status_message_id == card_a

    await alice.press("go", message_id=card_b)  # B is still there, and runs B
    await bot.feed()
    assert generations(bot) == [("prompt A", "1:1"), ("prompt B", "9:16")]


# Each wizard button kind on an older wizard's message: (button, the step its message shows,
# what that message says afterwards: it acted on its own wizard only).
OLDER_BUTTONS = [
    ("m:nano-banana", "model", "send the prompt"),
    ("x", "prompt", "OK, cancelled"),
    ("sk", "refs", "Choose the aspect ratio"),
    ("a:16:9", "aspect", "Prompt: prompt A"),
    ("x", "confirm", "OK, cancelled"),
    ("go", "confirm", "Prompt: prompt A"),
]


@pytest.mark.parametrize(("button", "step", "after"), OLDER_BUTTONS, ids=[f"{b}@{s}" for b, s, _ in OLDER_BUTTONS])
async def test_a_button_of_an_older_wizard_never_acts_on_the_newer_one(bot, emu, button, step, after):
    alice = emu.user(ALICE, "Alice")
    older = await wizard_to(bot, alice, step, "prompt A", "1:1")
    card_b = await wizard_to(bot, alice, "confirm", "prompt B", "9:16")

    query = await alice.press(button, message_id=older)
    await bot.feed()
    assert alice.callback_answer(query) is not None
    assert after in text_of(alice, older)

    await alice.press("go", message_id=card_b)
    await bot.feed()
    expected = [("prompt B", "9:16")]
    if button == "go":
        expected.insert(0, ("prompt A", "1:1"))
    assert generations(bot) == expected
    assert bot.engine.generations.get(len(expected)).status_message_id == card_b


async def test_a_double_tap_on_an_older_card_runs_it_once(bot, emu):
    alice = emu.user(ALICE, "Alice")
    card_a = await wizard_to(bot, alice, "confirm", "prompt A", "1:1")
    await wizard_to(bot, alice, "confirm", "prompt B", "9:16")
    await alice.press("go", message_id=card_a)
    await alice.press("go", message_id=card_a)
    await bot.feed(concurrently=True)
    assert generations(bot) == [("prompt A", "1:1")]
    assert not any("expired" in (m.text or "") for m in alice.messages())


async def test_cards_beyond_the_kept_drafts_expire_and_move_nothing(bot, emu):
    alice = emu.user(ALICE, "Alice")
    cards = [await wizard_to(bot, alice, "confirm", f"prompt {i}", "1:1") for i in range(KEEP + 1)]
    await alice.press("go", message_id=cards[0])
    await bot.feed()
    assert text_of(alice, cards[0]) == EXPIRED
    assert generations(bot) == [] and bot.engine.credits.balance(ALICE) == 10000
    await alice.press("go", message_id=cards[1])
    await bot.feed()
    assert generations(bot) == [("prompt 1", "1:1")]


async def test_after_a_restart_old_wizards_go_on_and_a_card_confirms_once_pressed_twice(settings, emu):
    """Drafts live in the database: a new process on the same database continues them."""
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        card_a = await wizard_to(bot, alice, "confirm", "prompt A", "1:1")
        at_refs = await wizard_to(bot, alice, "refs", "prompt B", "1:1")
    async with Offline(configured, emu) as bot:  # a new process on the same database
        await alice.press("sk", message_id=at_refs)
        await bot.feed()
        assert "Choose the aspect ratio" in text_of(alice, at_refs)
        first = await alice.press("go", message_id=card_a)
        second = await alice.press("go", message_id=card_a)
        await bot.feed(concurrently=True)
        assert alice.callback_answer(first) is not None and alice.callback_answer(second) is not None
        assert generations(bot) == [("prompt A", "1:1")]
        assert bot.engine.credits.balance(ALICE) == 10000 - 50
    async with Offline(configured, emu) as bot:  # and once more: that card is spent
        await alice.press("go", message_id=card_a)
        await bot.feed()
        assert generations(bot) == [("prompt A", "1:1")] and bot.engine.credits.balance(ALICE) == 10000 - 50


async def finished(bot, prompt: str, aspect: str, color: tuple[int, int, int]) -> int:
    """A completed generation of Alice's with a stored result file, already delivered (so
    /history re-sends it); returns its id."""
    engine = bot.engine
    generation = await engine.generations.create(GenerationRequest(
        user_id=ALICE, model="nano-banana", prompt=prompt, aspect_ratio=aspect, source="bot", chat_id=ALICE))
    path = engine.store.result_path(ALICE, generation.id, 0, ".png")
    path.write_bytes(image(color=color))
    engine.generations.finish(generation.id, "completed", files=[engine.store.relative(path)])
    engine.generations.mark_delivered(generation.id)
    return generation.id


async def show_result(bot, user, generation_id: int) -> int:
    """The result re-sent from /history (a photo with the result buttons); its message id."""
    await user.send_text("/history")
    await bot.feed()
    await user.press(f"hi:{generation_id}")
    await bot.feed()
    return next(m.message_id for m in reversed(user.messages()) if m.kind == "photo")


async def test_result_buttons_act_on_their_own_generation_however_old(settings, emu):
    configured = configure(settings, emu)
    alice = emu.user(ALICE, "Alice")
    async with Offline(configured, emu) as bot:
        await alice.send_text("/start")
        await bot.feed()
        first = await finished(bot, "first fox", "16:9", (10, 10, 10))
        second = await finished(bot, "second fox", "1:1", (200, 200, 200))
        older, newer = await show_result(bot, alice, first), await show_result(bot, alice, second)

        await alice.press("ur", message_id=older)  # "Use as reference" on the older result...
        await bot.feed()
        menu_first = newest(alice, "added as a reference")
        await alice.press("ur", message_id=newer)  # ...then on the newer one
        await bot.feed()
        await alice.press("m:nano-banana", message_id=menu_first)  # the older menu: the older image
        await bot.feed()
        await alice.send_text("at night")
        await bot.feed()
        await alice.press("sk")
        await bot.feed()
        await alice.press("a:1:1")
        await bot.feed()
        await alice.press("go")
        await bot.feed()
        latest = bot.engine.history.list(HistoryFilter(user_id=ALICE, limit=1))[0]
        assert latest.prompt == "at night"
        assert [Path(p).name for p in latest.references] == [f"{first}-0.png"]

    async with Offline(configured, emu) as bot:  # after a restart: Regenerate the older result
        await alice.press("rg", message_id=older)
        await bot.feed()
        assert "Prompt: first fox" in last_text(alice) and "Price: 50 credits" in last_text(alice)  # asks first
        await alice.press("go")
        await bot.feed()
        latest = bot.engine.history.list(HistoryFilter(user_id=ALICE, limit=1))[0]
        assert (latest.prompt, latest.aspect_ratio) == ("first fox", "16:9")
        await alice.press("oa", message_id=older)
        await bot.feed()
        await alice.press(f"ra:{first}:9:16")
        await bot.feed()
        await alice.press("go")
        await bot.feed()
        latest = bot.engine.history.list(HistoryFilter(user_id=ALICE, limit=1))[0]
        assert (latest.prompt, latest.aspect_ratio) == ("first fox", "9:16")



@pytest.mark.parametrize("ratios", [("16:9", "9:16"), ("16:9", "16:9"), ("4:3", "3:4", "21:9")])
async def test_ratios_tapped_together_on_one_menu_never_share_a_status_message(bot, emu, ratios):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    User.update(confirm_repeats=False).where(User.id == ALICE).execute()  # /settings: spend without asking
    first = await finished(bot, "first fox", "1:1", (10, 10, 10))
    await alice.press("oa", message_id=await show_result(bot, alice, first))
    await bot.feed()
    menu = newest(alice, "Another aspect ratio")
    for ratio in ratios:
        await alice.press(f"ra:{first}:{ratio}", message_id=menu)
    await bot.feed(concurrently=True)
    started = [g for g in bot.engine.history.list(HistoryFilter(user_id=ALICE)) if g.id != first]
    assert sorted(g.aspect_ratio for g in started) == sorted(set(ratios))  # a double tap of one ratio runs once
    assert len({g.status_message_id for g in started}) == len(started)
    assert menu in {g.status_message_id for g in started}


def forged(bob_generation: int, bob_topup: int) -> list[str]:
    """Callback data a hostile client can send instead of a button's: ids out of any column's
    range, negative, non-ASCII digits, empty or missing parts, someone else's ids."""
    ids = ["9" * 30, str(2**63), str(2**63 - 1), str(2**31), "-1", "0", "٣", "", "1e3"]
    data = [f"{prefix}:{i}" for prefix in ("rg", "oa", "ur", "c", "hi") for i in ids]
    data += [f"ra:{i}:1:1" for i in ids] + [f"tu:a:{i}" for i in ids] + [f"tu:r:{i}" for i in ids]
    data += ["rg", "ra:", "ra:1", f"ra:{bob_generation}:1:1", f"rg:{bob_generation}:1", f"tu:x:{bob_topup}"]
    return data


async def test_forged_callback_data_moves_nothing_and_says_expired(settings, emu, database_url, caplog):
    configured = replace(configure(settings, emu), database_url=database_url)
    async with Offline(configured, emu) as bot:
        bob = bot.engine.users.register(7, first_name="Bob")[0]
        generation = await bot.engine.generations.create(GenerationRequest(
            user_id=bob.id, model="nano-banana", prompt="bob's fox", aspect_ratio="1:1", source="bot"))
        topup = bot.engine.topups.request(bob.id)
        for user_id in (ALICE, ADMIN):  # a user, and an admin (top-up decisions are theirs)
            user = emu.user(user_id, "Hostile", language_code="ru")
            await user.send_text("/start")
            await bot.feed()
            for data in forged(generation.id, topup.id):
                emu.messages(user_id)[-1].reply_markup = {"inline_keyboard": [[{"text": "b", "callback_data": data}]]}
                caplog.clear()
                query = await user.press(data)
                await bot.feed()
                assert user.callback_answer(query) is not None, data
                said = last_text(user)
                assert said in EXPIRED_TEXTS or said.startswith("Error: No top-up request #"), (data, said)
                assert "error while handling" not in caplog.text, (data, caplog.text)
        assert bot.engine.generations.get(generation.id).status == "pending"
        assert bot.engine.topups.get(topup.id).status == "pending"
        assert [bot.engine.credits.balance(u) for u in (ALICE, ADMIN)] == [10000, 10000]
        assert bot.engine.history.count(HistoryFilter()) == 1


@pytest.mark.parametrize(("lang", "price", "label"), [
    ("en", 50, "🔁 Regenerate · 50 credits"), ("ru", 120, "🔁 Ещё раз · 120 кр."),
    ("en", None, "🔁 Regenerate"),  # the model left the catalog: pressing it only says so, spends nothing
])
def test_regenerate_names_what_it_spends(lang, price, label):
    from higgsctl.bot import keyboards

    markup = keyboards.result(lang, 7, price)
    assert markup.inline_keyboard[0][0].text == label


async def test_a_repeat_without_asking_keeps_the_options_it_was_made_with(bot, emu):
    """Regenerate and Other aspect, with confirm_repeats off, run the generation's own options
    (a JPEG stays a JPEG), as the confirm card's repeat does."""
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    User.update(confirm_repeats=False).where(User.id == ALICE).execute()
    engine = bot.engine
    made = await engine.generations.create(GenerationRequest(
        user_id=ALICE, model="nano-banana", prompt="jpeg fox", aspect_ratio="1:1", source="bot", chat_id=ALICE,
        options=(("output_format", "jpeg"),)))
    path = engine.store.result_path(ALICE, made.id, 0, ".png")
    path.write_bytes(image(color=(10, 10, 10)))
    engine.generations.finish(made.id, "completed", files=[engine.store.relative(path)])
    engine.generations.mark_delivered(made.id)
    shown = await show_result(bot, alice, made.id)
    await alice.press(f"rg:{made.id}", message_id=shown)
    await bot.feed()
    await alice.press(f"oa:{made.id}", message_id=shown)
    await bot.feed()
    await alice.press(f"ra:{made.id}:16:9", message_id=newest(alice, "Another aspect ratio"))
    await bot.feed()
    repeats = [g for g in engine.history.list(HistoryFilter(user_id=ALICE)) if g.id != made.id]
    assert sorted(g.aspect_ratio for g in repeats) == ["16:9", "1:1"]
    assert [g.options for g in repeats] == [{"output_format": "jpeg"}] * 2


async def test_regenerate_spends_only_the_price_its_button_names(bot, emu):
    """The catalog's price changed since the result was sent: Regenerate and the aspect menu
    (confirm_repeats off) show the card with today's price instead of spending what they did not name."""
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/start")
    await bot.feed()
    User.update(confirm_repeats=False).where(User.id == ALICE).execute()
    first = await finished(bot, "priced fox", "1:1", (10, 10, 10))
    shown = await show_result(bot, alice, first)
    await alice.press(f"oa:{first}", message_id=shown)
    await bot.feed()
    menu = newest(alice, "Another aspect ratio")  # "... spends 50 credits"
    models = bot.engine.settings.models
    models["nano-banana"] = replace(models["nano-banana"], price=70)
    for data, pressed in ((f"rg:{first}", shown), (f"ra:{first}:16:9", menu)):
        await alice.press(data, message_id=pressed)
        await bot.feed()
        assert [g.id for g in bot.engine.history.list(HistoryFilter(user_id=ALICE))] == [first]  # nothing held
        assert "Price: 70 credits" in last_text(alice)
    await alice.press(f"rg:{first}", message_id=await show_result(bot, alice, first))  # it names 70 now
    await bot.feed()
    assert len(bot.engine.history.list(HistoryFilter(user_id=ALICE))) == 2
