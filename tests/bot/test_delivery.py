"""Progress and results under a slow Telegram: the job never waits on the Bot API, status
edits are coalesced, the result goes before the final edit; and the Bot API's HTTP client
(aiohttp under PTB's HTTPXRequest): timeouts, uploads, errors without the token."""

from __future__ import annotations

import asyncio
import time
import traceback
from dataclasses import replace

import httpx
import pytest
from aiohttp import web
from telegram import InputMediaPhoto
from telegram.error import NetworkError, TimedOut

from higgsctl.bot.app import build_application
from higgsctl.bot.progress import EDIT_EVERY
from higgsctl.bot.transport import ScrubbedAiohttpTransport, telegram_request
from higgsctl.engine import GenerationRequest

from .harness import ALICE, TOKEN, Offline, Running, configure, eventually, image


@pytest.fixture
async def bot(settings, emu, sandbox):
    running = await Running(configure(settings, emu, sandbox)).start()
    yield running
    await running.stop()


async def to_confirm(user) -> None:
    """The wizard up to the price screen (test_e2e.generate without the Confirm press)."""
    for action, value, expect in [("text", "/start", "What would you like to do?"), ("press", "g", "Choose a model"),
                                  ("press", "m:nano-banana", "send the prompt"), ("text", "a fox", "reference photos"),
                                  ("press", "sk", "aspect ratio"), ("press", "a:1:1", "Price: 50 credits")]:
        await (user.send_text(value) if action == "text" else user.press(value))
        await user.wait_for_text(expect)


def calls_since(emu, start: int, chat_id: int = ALICE) -> list[tuple[str, dict]]:
    return [(name, params) for name, params in emu.calls[start:] if params.get("chat_id") == chat_id]


async def test_a_slow_telegram_does_not_hold_the_job_up(bot, emu, sandbox):
    alice = emu.user(ALICE, "Alice")
    await to_confirm(alice)
    # The job's first status edit gets a 429: AIORateLimiter halts every Bot API call for 2 s.
    emu.fail_next("editMessageText", retry_after=2)
    await alice.press("go")
    await alice.wait_for(lambda m: m.kind == "photo", timeout=20)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    generation = bot.engine.generations.get(1)
    assert ("editMessageText", 429) in [(method, code) for method, code, _ in emu.errors]
    assert (generation.submitted_at - generation.created_at).total_seconds() < 1.0  # not after the 2 s
    status = next(m for m in alice.messages() if m.message_id == generation.status_message_id)
    assert status.kind == "photo"  # the status message became the result


async def test_a_short_job_edits_once_then_its_status_message_becomes_the_photo(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await to_confirm(alice)
    start = len(emu.calls)
    await alice.press("go")
    await alice.wait_for(lambda m: m.kind == "document", timeout=20)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    await asyncio.sleep(0.3)  # anything late would arrive now
    calls = calls_since(emu, start)
    names = [name for name, _ in calls]
    edits = [params["text"] for name, params in calls if name == "editMessageText"]
    # pending → queued → in_progress → downloading within 0.5 s: one progress edit, then the
    # status message becomes the photo (no "done" edit, no photo of its own) and the file follows
    assert edits == ["⏳ Generation #1 is starting…"]
    assert not [error for error in emu.errors if error[0] == "editMessageText"]  # no "message is not modified"
    # three paced calls for the image, and no chat action beside a status message that says the same
    assert names == ["editMessageText", "editMessageMedia", "sendDocument"]


async def test_states_in_between_coalesce(bot, emu, sandbox):
    sandbox.options.service_time = 6.0  # queued until 1.8 s, then in progress until 6 s
    alice = emu.user(ALICE, "Alice")
    await to_confirm(alice)
    start, started = len(emu.calls), time.monotonic()
    await alice.press("go")
    await alice.wait_for(lambda m: m.kind == "document", timeout=30)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    assert time.monotonic() - started > EDIT_EVERY
    calls = calls_since(emu, start)
    names = [name for name, _ in calls]
    edits = [params["text"] for name, params in calls if name == "editMessageText"]
    # "queued" is replaced before the next edit may go: never drawn
    assert edits == ["⏳ Generation #1 is starting…", "🎨 Generation #1 is being generated…"]
    assert "sendChatAction" not in names


async def test_a_job_without_a_status_message_keeps_the_chat_action_alive(bot, emu, sandbox):
    """Its only sign of life: upload_photo every 5 s per chat, none after the photo."""
    sandbox.options.service_time = 6.0
    alice = emu.user(ALICE, "Alice")
    await bot.engine.run_db(bot.engine.users.register, ALICE, first_name="Alice")
    generation = await bot.engine.generations.create(GenerationRequest(
        user_id=ALICE, model="nano-banana", prompt="a fox", aspect_ratio="1:1", source="bot", chat_id=ALICE))
    start = len(emu.calls)
    bot.services.delivery.launch(generation.id)
    await alice.wait_for(lambda m: m.kind == "document", timeout=30)
    await eventually(lambda: bot.engine.generations.get(generation.id).delivered_at is not None)
    names = [name for name, _ in calls_since(emu, start)]
    actions = names[:names.index("sendPhoto")].count("sendChatAction")
    assert 1 <= actions <= 2 and names.count("sendChatAction") == actions  # every 5 s, none after the photo


async def test_a_restart_while_a_progress_edit_waits_loses_nothing(settings, emu, sandbox):
    """Shutdown ends the progress tasks (a queued edit is dropped); the resumed job draws its
    state again and the result arrives once."""
    sandbox.options.service_time = 60.0
    configured = configure(settings, emu, sandbox)
    first = await Running(configured).start()
    alice = emu.user(ALICE, "Alice")
    try:
        await to_confirm(alice)
        await alice.press("go")
        await alice.wait_for_text("is starting", timeout=10)
        await eventually(lambda: first.engine.generations.get(1).request_id is not None)
        emu.fail_next("editMessageText", retry_after=5)  # the next edit waits in the limiter
        await asyncio.sleep(EDIT_EVERY + 0.5)
    finally:
        await asyncio.wait_for(first.stop(), 10)  # a progress edit waiting on Telegram does not hold it up
    second = await Running(configured).start()
    try:
        generation = second.engine.generations.get(1)
        assert generation.status == "queued"  # left open by the restart
        sandbox.complete_now(generation.request_id)
        await alice.wait_for(lambda m: m.kind == "document", timeout=20, since_last_action=False)
        await eventually(lambda: second.engine.generations.get(1).delivered_at is not None)
        status = next(m for m in alice.messages() if m.message_id == generation.status_message_id)
        assert status.kind == "photo"
    finally:
        await second.stop()
    assert [m.kind for m in alice.messages()].count("photo") == 1


# --- the Bot API's HTTP client ---------------------------------------------------------------


@pytest.fixture
async def slow_api():
    """A stand-in Bot API answering every call after ``state["delay"]`` seconds."""
    state = {"delay": 0.0}

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(state["delay"])
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/bot{TOKEN}", state
    await runner.cleanup()


def no_token(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc))
    assert TOKEN not in text and TOKEN.split(":")[1].lower() not in text.lower(), text


def test_every_bot_api_call_goes_through_aiohttp(settings, monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    configured = replace(settings, telegram=replace(settings.telegram, token=TOKEN))
    from higgsctl.engine import Engine

    engine = Engine(configured)
    try:
        app = build_application(configured, engine)
        for request in (app.bot.request, app.updater.bot._request[0]):  # general calls, getUpdates
            assert isinstance(request._client._transport, ScrubbedAiohttpTransport)
        assert app.bot.request.read_timeout == 30
    finally:
        engine.close()


async def test_per_request_timeouts_and_reinitialize(slow_api):
    url, state = slow_api
    request = telegram_request(4, connect_timeout=5, read_timeout=5, write_timeout=5, pool_timeout=5)
    await request.initialize()
    try:
        assert await request.post(f"{url}/getMe") is True
        state["delay"] = 2.0
        started = time.monotonic()
        with pytest.raises(TimedOut) as caught:
            await request.post(f"{url}/getMe", read_timeout=0.3)  # a per-call timeout wins
        assert time.monotonic() - started < 1.5
        no_token(caught.value)
        state["delay"] = 0.0
    finally:
        await request.shutdown()
    await request.initialize()  # PTB rebuilds its client on the same transport
    try:
        assert await request.post(f"{url}/getMe") is True
    finally:
        await request.shutdown()


async def test_a_full_pool_times_out_without_the_token_in_the_error(slow_api):
    url, state = slow_api
    state["delay"] = 1.0
    request = telegram_request(1, connect_timeout=5, read_timeout=5, write_timeout=5, pool_timeout=0.2)
    await request.initialize()
    try:
        busy = asyncio.create_task(request.post(f"{url}/sendMessage"))
        await asyncio.sleep(0.1)
        with pytest.raises(TimedOut) as caught:  # aiohttp says "Connection timeout to host <url>"
            await request.post(f"{url}/sendMessage")
        no_token(caught.value)
        assert await busy is True
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error_not_a_timeout():
    request = telegram_request(1, connect_timeout=5, read_timeout=5, write_timeout=5, pool_timeout=5)
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:9/bot{TOKEN}/getMe")
        # PTB's polling loop retries a TimedOut at once: a refused connection must back off
        assert not isinstance(caught.value, TimedOut)
        assert isinstance(caught.value.__cause__, httpx.ConnectError)
        no_token(caught.value)
    finally:
        await request.shutdown()


async def test_uploads_go_through_it(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        album = await bot.app.bot.send_media_group(ALICE, [InputMediaPhoto(image()), InputMediaPhoto(image(color=(1, 2, 3)))])
        await bot.app.bot.send_photo(ALICE, image(), caption="a photo")
        await bot.app.bot.send_document(ALICE, image(), filename="a.png")
        assert len(album) == 2
        assert [m.kind for m in alice.messages()] == ["photo", "photo", "photo", "document"]


async def test_a_followed_job_is_one_record_while_it_runs_and_none_once_delivered(bot, emu, sandbox):
    sandbox.options.service_time = 3.0
    alice = emu.user(ALICE, "Alice")
    tracker = bot.app.bot_data["higgsctl"].delivery.tracker
    await to_confirm(alice)
    await alice.press("go")
    await alice.wait_for_text("is starting", timeout=10)
    assert list(tracker.records) == [1]
    record = tracker.records[1]
    assert record.target.chat_id == ALICE and record.drawing is not None and not record.delivering
    await alice.wait_for(lambda m: m.kind == "document", timeout=30)
    await eventually(lambda: bot.engine.generations.get(1).delivered_at is not None)
    await eventually(lambda: tracker.records == {})  # nothing kept per delivered job
