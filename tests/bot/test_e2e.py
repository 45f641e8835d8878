"""End to end over real HTTP: the Higgsfield sandbox, the Telegram emulator, and the bot as
`higgsctl bot run` starts it (runner.start_bot), polling; scripted users drive it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from higgsctl.engine import Engine, HistoryFilter

from .harness import ADMIN, ALICE, Running, configure, eventually, image, is_image

SLOW = 60.0  # a service time that keeps a request queued for 18 s: tests move it by hand


SECOND_ADMIN = 901


@pytest.fixture
async def bot(settings, emu, sandbox):
    running = await Running(configure(settings, emu, sandbox, admin_ids=(ADMIN, SECOND_ADMIN))).start()
    yield running
    await running.stop()


async def generate(user, prompt: str, *, album: list[bytes] | None = None, aspect: str = "1:1") -> None:
    """Drive the wizard up to the confirm press."""
    await user.send_text("/start")
    await user.wait_for_text("What would you like to do?")
    await user.press("g")
    await user.wait_for_text("Choose a model")
    await user.press("m:nano-banana")
    await user.wait_for_text("send the prompt")
    await user.send_text(prompt)
    await user.wait_for_text("reference photos")
    if album:
        await user.send_album(album)
        await user.wait_for_text(f"{len(album)} photo(s) added: {len(album)} of 8")
    await user.press("sk")
    await user.wait_for_text("aspect ratio")
    await user.press(f"a:{aspect}")
    await user.wait_for_text("Price: 50 credits")
    await user.press("go")


def photos(user) -> list:
    return [m for m in user.messages() if m.kind == "photo"]


async def latest_generation(engine):
    return (await asyncio.to_thread(engine.history.list, HistoryFilter(limit=1)))[0]


async def test_wizard_with_album_delivers_photo_and_file_and_admin_tops_up(bot, emu, sandbox):
    alice, boss = emu.user(ALICE, "Alice", username="alice"), emu.user(ADMIN, "Boss", username="boss")
    deputy = emu.user(SECOND_ADMIN, "Deputy")
    for admin in (boss, deputy):
        await admin.send_text("/start")
        await admin.wait_for_text("Welcome")
    await generate(alice, "a red fox in the snow", album=[image(color=(9, 9, 9)), image(color=(90, 90, 90))])
    photo = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    document = await alice.wait_for(lambda m: m.kind == "document", timeout=20)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    generation = await latest_generation(bot.engine)
    assert generation.status == "completed"
    assert is_image(photo.file_bytes)
    assert "Nano Banana · 1:1" in photo.caption and "Cost: 50 credits · Balance: 9950" in photo.caption
    assert photo.button_texts() == ["🔁 Regenerate · 50 credits", "📐 Other aspect", "🖼 Use as reference"]
    stored = bot.engine.store.inside(Path(generation.result_files[0])).read_bytes()
    assert document.file_bytes == stored and is_image(document.file_bytes)
    assert len(generation.references) == 2  # the album became one set
    request = sandbox.requests[generation.request_id]
    assert len(request.body["input_images"]) == 2
    # the status message became the photo (its caption starts with the prompt)
    assert photo.message_id == generation.status_message_id and photo.edits >= 2
    assert photo.caption.startswith("a red fox in the snow\n\n")
    assert (ALICE, "upload_photo") not in emu.chat_actions  # the status message shows the progress

    await alice.send_text("/topup")
    request_copy = await boss.wait_for_text("Top-up request #1: @alice")
    deputy_copy = await deputy.wait_for_text("Top-up request #1: @alice")
    await boss.press("tu:a:1")
    await alice.wait_for_text("approved: +2500 credits. Balance: 12450.")
    for admin, copy in ((boss, request_copy), (deputy, deputy_copy)):  # every admin sees who decided
        decided = await admin.wait_for(lambda m: m.message_id == copy.message_id and "approved by @boss" in (m.text or ""),
                                       since_last_action=False)
        assert decided.buttons() == []
    deputy_copy.reply_markup = {"inline_keyboard": [[{"text": "late", "callback_data": "tu:r:1"}]]}  # a stale button
    await deputy.press("tu:r:1")
    await deputy.wait_for_text("Request #1 was already approved by admin:900 (@boss).")
    assert bot.engine.credits.balance(ALICE) == 12450
    assert bot.engine.topups.get(1).decided_by == f"admin:{ADMIN} (@boss)"
    assert [c["command"] for c in emu.commands["default"]][:2] == ["start", "balance"]
    assert "grant" not in str(emu.commands["default"]) and emu.commands["default|ru"][0]["description"] == "Главное меню"
    assert {"grant", "user", "stats", "block", "unblock"} <= {c["command"] for c in emu.commands[f"chat:{ADMIN}"]}


async def test_topup_decided_outside_telegram_reaches_user_via_notifier(bot, emu):
    alice, boss = emu.user(ALICE, "Alice"), emu.user(ADMIN, "Boss")
    await boss.send_text("/start")
    await boss.wait_for_text("Welcome")
    await alice.send_text("/topup")
    copy = await boss.wait_for_text("Top-up request #1")
    await asyncio.to_thread(bot.engine.topups.approve, 1, actor="tui", amount=1000)  # as the TUI would
    await alice.wait_for_text("approved: +1000 credits. Balance: 11000.")
    await boss.wait_for(lambda m: m.message_id == copy.message_id and "approved by tui" in (m.text or ""))
    assert bot.engine.topups.get(1).notified_at is not None


@pytest.mark.parametrize("fault, words", [
    ("nsfw", "was blocked by the content filter. Nothing was charged: your 50 credits are back. Balance: 10000."),
    ("failed", "failed on the image service's side. Nothing was charged: your 50 credits are back. Balance: 10000."),
    ("timeout", "took too long and was stopped. Nothing was charged: your 50 credits are back. Balance: 10000."),
])
async def test_failures_are_told_in_plain_words_and_nothing_is_charged(settings, emu, sandbox, fault, words):
    configured = configure(settings, emu, sandbox)
    configured = replace(configured, higgsfield=replace(configured.higgsfield, generation_timeout=1.5))
    bot = await Running(configured).start()
    try:
        alice = emu.user(ALICE, "Alice")
        await generate(alice, f"[sandbox:{fault}] a fox")
        message = await alice.wait_for_text(words, timeout=20)
        # a new message (a notification) with Try again / Change prompt
        assert [b["callback_data"] for b in message.buttons()] == ["rg:1", "np:1"]
        assert bot.engine.credits.balance(ALICE) == 10000 and not photos(alice)
        await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
        status = next(m for m in alice.messages() if m.message_id == bot.engine.generations.get(1).status_message_id)
        assert status.message_id < message.message_id and "details below" in status.text
        assert status.buttons() == []  # no Cancel button left on a finished job
    finally:
        await bot.stop()


async def test_cancel_while_queued_releases_the_hold(bot, emu, sandbox):
    sandbox.options.service_time = SLOW
    alice = emu.user(ALICE, "Alice")
    await generate(alice, "a slow fox")
    queued = await alice.wait_for(lambda m: "is queued" in (m.text or ""), timeout=10)
    assert bot.engine.credits.balance(ALICE) == 9950  # held
    assert [b["callback_data"] for b in queued.buttons()] == ["c:1"]
    await alice.press("c:1")
    await alice.wait_for_text("was cancelled. Your 50 credits are back. Balance: 10000.", timeout=10)
    generation = await latest_generation(bot.engine)
    assert generation.status == "canceled" and generation.charge == "released"

    await generate(alice, "another slow fox")  # /cancel cancels a queued job too
    await alice.wait_for_text("Generation #2 is queued", timeout=10)
    await alice.send_text("/cancel")
    await alice.wait_for_text("Cancelling generation #2", timeout=10)
    await alice.wait_for_text("Generation #2 was cancelled", timeout=10)
    assert bot.engine.credits.balance(ALICE) == 10000


async def test_restart_mid_generation_delivers_exactly_once(settings, emu, sandbox):
    sandbox.options.service_time = SLOW
    configured = configure(settings, emu, sandbox)
    first = await Running(configured).start()
    alice = emu.user(ALICE, "Alice")
    try:
        await generate(alice, "a fox across a restart")
        await alice.wait_for(lambda m: "is queued" in (m.text or ""), timeout=10)
        generation = await latest_generation(first.engine)
        sandbox.set_status(generation.request_id, "in_progress")
        await alice.wait_for(lambda m: "is being generated" in (m.text or ""), timeout=10)
    finally:
        await first.stop()
    check = Engine(configured)
    assert check.generations.get(generation.id).status == "in_progress"  # left open, not cancelled
    check.close()

    sandbox.requests[generation.request_id].forced = None  # let the clock finish it
    sandbox.complete_now(generation.request_id)
    second = await Running(configured).start()
    try:
        await alice.wait_for(lambda m: m.kind == "photo", timeout=20, since_last_action=False)
        await alice.wait_for(lambda m: m.kind == "document", timeout=20, since_last_action=False)
        await eventually(lambda: second.engine.generations.get(generation.id).delivered_at is not None)
        status = next(m for m in alice.messages() if m.message_id == generation.status_message_id)
        assert status.kind == "photo"  # the resumed job turns the old status message into the photo
        await second.app.bot_data["higgsctl"].notifier.tick()  # a sweep finds nothing left to send
    finally:
        await second.stop()
    third = await Running(configured).start()  # another restart sends nothing again
    try:
        await third.app.bot_data["higgsctl"].notifier.tick()
    finally:
        await third.stop()
    assert len(photos(alice)) == 1
    assert len([m for m in alice.messages() if m.kind == "document"]) == 1


async def test_429_on_send_photo_is_retried(bot, emu):
    alice = emu.user(ALICE, "Alice")
    emu.fail_next("editMessageMedia", retry_after=1)  # the status message becoming the photo
    await generate(alice, "a patient fox")
    photo = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    assert is_image(photo.file_bytes)
    assert any(method == "editMessageMedia" and code == 429 for method, code, _ in emu.errors)
    assert len(photos(alice)) == 1


async def test_result_buttons_regenerate_reference_and_history(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await generate(alice, "a fox")
    await alice.wait_for(lambda m: m.kind == "document", timeout=20)
    await alice.press("rg:1")  # same parameters: the price is shown first, then a new hold
    await alice.wait_for_text("Price: 50 credits. Balance: 9950.")
    await alice.press("go")
    second = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    assert "#2" in second.caption and "Balance: 9900" in second.caption
    await alice.wait_for(lambda m: m.kind == "document", timeout=20)
    first, again = bot.engine.generations.get(1), bot.engine.generations.get(2)
    assert (again.model, again.prompt, again.aspect_ratio) == (first.model, first.prompt, first.aspect_ratio)

    await alice.press("oa:2")
    await alice.wait_for_text("Another aspect ratio for generation #2")
    await alice.press("ra:2:9:16")
    await alice.wait_for_text("Aspect: 9:16")
    await alice.press("go")
    third = await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    assert "9:16 · #3" in third.caption

    await alice.press("ur:3")
    await alice.wait_for_text("The image is added as a reference")
    await alice.press("m:nano-banana")
    await alice.wait_for_text("send the prompt")
    await alice.send_text("the same fox, at night")
    await alice.wait_for_text("1 photo(s) added: 1 of 8")

    await alice.send_text("/history")
    page = await alice.wait_for_text("Your generations (page 1 of 1)")
    assert page.button_texts() == ["🖼 #3", "🖼 #2", "🖼 #1"]
    await alice.press("hi:1")
    resent = await alice.wait_for(lambda m: m.kind == "document", timeout=10)
    assert resent.file_bytes == bot.engine.store.inside(Path(first.result_files[0])).read_bytes()


async def test_results_finished_while_the_bot_was_down_are_delivered_at_start(settings, emu, sandbox):
    from higgsctl.engine import GenerationRequest

    configured = configure(settings, emu, sandbox)
    alice = emu.user(ALICE, "Alice")
    engine = Engine(configured)
    try:  # a bot job another process finished (say `higgsctl` resumed it): never delivered
        engine.users.register(ALICE, first_name="Alice")
        request = GenerationRequest(user_id=ALICE, model="nano-banana", prompt="a fox", aspect_ratio="1:1",
                                    source="bot", chat_id=ALICE)
        generation = await engine.generations.run(request)
        assert generation.status == "completed" and generation.delivered_at is None
    finally:
        await engine.aclose()
    bot = await Running(configured).start()
    try:
        photo = await alice.wait_for(lambda m: m.kind == "photo", timeout=10)
        assert "Balance: 9950" in photo.caption
        await alice.wait_for(lambda m: m.kind == "document", timeout=10)
        await eventually(lambda: bot.engine.generations.get(generation.id).delivered_at is not None)
    finally:
        await bot.stop()


async def test_failed_send_is_retried_without_repeating_what_arrived(bot, emu):
    alice = emu.user(ALICE, "Alice")
    emu.fail_next("sendDocument", error_code=500, description="Internal Server Error")
    await generate(alice, "a fox")
    await alice.wait_for(lambda m: m.kind == "document", timeout=20)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    assert any(method == "sendDocument" and code == 500 for method, code, _ in emu.errors)
    assert len(photos(alice)) == 1 and len([m for m in alice.messages() if m.kind == "document"]) == 1


async def test_a_job_still_queued_at_shutdown_survives_the_restart(settings, emu, sandbox):
    """A restart is not a cancel: the queued request stays upstream, the hold stays held, and
    the next process follows it to the result."""
    sandbox.options.service_time = SLOW
    configured = configure(settings, emu, sandbox)
    first = await Running(configured).start()
    alice = emu.user(ALICE, "Alice")
    try:
        await generate(alice, "a fox that waits")
        await alice.wait_for(lambda m: "is queued" in (m.text or ""), timeout=10)
        generation = await latest_generation(first.engine)
    finally:
        await first.stop()
    check = Engine(configured)
    left = check.generations.get(generation.id)
    assert (left.status, left.charge) == ("queued", "held") and sandbox.stats.cancels == 0
    check.close()

    sandbox.complete_now(generation.request_id)
    second = await Running(configured).start()
    try:
        await alice.wait_for(lambda m: m.kind == "photo", timeout=20, since_last_action=False)
        await eventually(lambda: second.engine.generations.get(generation.id).charge == "captured")
        assert second.engine.credits.balance(ALICE) == 9950
    finally:
        await second.stop()
    assert len(photos(alice)) == 1
