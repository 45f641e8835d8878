"""One bad result, job task or HTTP answer never stalls the rest: unreadable results, job tasks
that raise, files over the upload limit, malformed responses, moved references."""

from __future__ import annotations

import asyncio
import traceback
from pathlib import Path
from types import SimpleNamespace

import peewee
import pytest
from telegram import Bot
from telegram.error import NetworkError

from higgsctl.bot.transport import telegram_request
from higgsctl.bot.media import DOCUMENT_MAX_MB, LOCAL_DOCUMENT_MAX_MB, document_limit
from higgsctl.bot.handlers.results import _again

from .harness import ALICE, TOKEN, Offline, Running, configure, eventually, image
from .test_delivery import to_confirm


def finished(engine, payload: bytes, key: str) -> int:
    """A completed, undelivered bot job whose result file holds ``payload``."""
    g = engine.generations.rows.hold(ALICE, 10, model="nano-banana", prompt="p", aspect_ratio="1:1", references=[],
                            source="bot", chat_id=ALICE, status_message_id=None, idempotency_key=key)
    dest = engine.store.result_path(ALICE, g.id, 0, ".png")
    dest.write_bytes(payload)
    engine.generations.finish(g.id, "completed", None, [engine.store.relative(dest)])
    return g.id


async def test_an_unreadable_result_goes_as_a_file_and_never_blocks_later_ones(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        engine.credits.grant(ALICE, 1000, actor="cli")
        ids = [finished(engine, b"<html>not an image</html>", "k0"), finished(engine, image(), "k1")]
        await bot.app.bot_data["higgsctl"].notifier.tick()
        assert all(engine.generations.get(i).delivered_at is not None for i in ids)
        assert [m.kind for m in alice.messages()] == ["document", "photo", "document"]


async def test_one_failing_delivery_does_not_stop_the_sweep(settings, emu, monkeypatch):
    async with Offline(configure(settings, emu), emu) as bot:
        emu.user(ALICE, "Alice")
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        engine.credits.grant(ALICE, 1000, actor="cli")
        ids = [finished(engine, image(), "k0"), finished(engine, image(), "k1")]
        delivery = bot.app.bot_data["higgsctl"].delivery
        real = delivery._send_outcome

        async def broken(rows):
            if rows[0].id == ids[0]:
                raise OSError("disk on fire")
            await real(rows)

        monkeypatch.setattr(delivery, "_send_outcome", broken)
        await bot.app.bot_data["higgsctl"].notifier.tick()
        assert engine.generations.get(ids[0]).delivered_at is None  # retried later, with backoff
        assert delivery.tracker.records[ids[0]].failures == 1 and not delivery.due(ids[0])
        assert engine.generations.get(ids[1]).delivered_at is not None


async def test_a_job_task_that_raises_is_followed_again(settings, emu, sandbox):
    bot = await Running(configure(settings, emu, sandbox)).start()
    try:
        gens = bot.engine.generations
        real_status, real_finish = gens.client.status, gens.rows.finish_and_get
        calls = {"status": 0, "finish": 0}

        async def flaky_status(*a, **k):
            calls["status"] += 1
            if calls["status"] == 1:
                raise RuntimeError("unexpected")
            return await real_status(*a, **k)

        def flaky_finish(*a, **k):  # the database is briefly locked when recording the outcome
            calls["finish"] += 1
            if calls["finish"] == 1:
                raise peewee.OperationalError("database is locked")
            return real_finish(*a, **k)

        gens.client.status = flaky_status
        gens.rows.finish_and_get = flaky_finish
        alice = emu.user(ALICE, "Alice")
        await to_confirm(alice)
        await alice.press("go")
        await eventually(lambda: calls["finish"] >= 1, timeout=10)
        await eventually(lambda: gens.get(1).delivered_at is not None, timeout=10)
        assert gens.get(1).status == "completed" and calls["finish"] >= 2
        assert [m.kind for m in alice.messages()].count("photo") == 1
    finally:
        await bot.stop()


async def test_a_file_refused_as_too_large_is_not_retried(settings, emu):
    configured = configure(settings, emu)
    async with Offline(configured, emu) as bot:
        alice = emu.user(ALICE, "Alice")
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        gid = finished(engine, image(), "k")
        emu.fail_next("sendDocument", error_code=413, description="Request Entity Too Large")
        await bot.app.bot_data["higgsctl"].delivery.deliver(gid)
        assert engine.generations.get(gid).delivered_at is not None
        assert [m.kind for m in alice.messages()] == ["photo", "text"]
        assert "too large to send here (1 MB)" in alice.messages()[-1].text
        assert f"#{gid}" in alice.messages()[-1].text


async def test_a_file_over_the_limit_is_announced_not_sent(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        alice = emu.user(ALICE, "Alice")
        engine = bot.engine
        engine.users.register(ALICE, first_name="Alice")
        gid = finished(engine, image(), "k")
        delivery = bot.app.bot_data["higgsctl"].delivery
        delivery.document_max_bytes = 10
        before = len(emu.calls)
        await delivery.deliver(gid)
        assert "sendDocument" not in [name for name, _ in emu.calls[before:]]
        assert engine.generations.get(gid).delivered_at is not None
        assert [m.kind for m in alice.messages()] == ["photo", "text"]
        assert "too large" in alice.messages()[-1].text


def test_the_document_limit_depends_on_the_api_server():
    assert document_limit("https://api.telegram.org") == DOCUMENT_MAX_MB * 1024 * 1024
    assert document_limit("https://API.telegram.org/") == DOCUMENT_MAX_MB * 1024 * 1024
    assert document_limit("http://localhost:8081") == LOCAL_DOCUMENT_MAX_MB * 1024 * 1024


@pytest.mark.parametrize("answer", [b"GARBAGE\r\n\r\n", b"HTTP/1.1 200 \x01bad\r\nX: \x00\r\n\r\n"])
async def test_a_malformed_response_is_a_network_error_without_the_token(answer):
    async def handle(reader, writer):
        await reader.read(65536)
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot",
              request=telegram_request(2, connect_timeout=2, read_timeout=2, write_timeout=2, pool_timeout=2),
              get_updates_request=telegram_request(1))
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(1, "x")
        text = "".join(traceback.format_exception(caught.value))
        assert TOKEN not in text and TOKEN.split(":")[1].lower() not in text.lower(), text
        assert "bot***" in str(caught.value)
    finally:
        await bot.request.shutdown()
        server.close()
        await server.wait_closed()


async def test_again_finds_a_reference_moved_to_used(settings, emu):
    async with Offline(configure(settings, emu), emu) as bot:
        store = bot.engine.store
        upload = store.save_upload(ALICE, image(), "ref.png")
        recorded = store.relative(upload)
        moved = upload.parent.with_name("used") / upload.name
        moved.parent.mkdir(parents=True, exist_ok=True)
        upload.rename(moved)
        generation = SimpleNamespace(model="nano-banana", prompt="p", references=[recorded], options={})
        who = SimpleNamespace(id=ALICE, services=SimpleNamespace(engine=bot.engine, settings=bot.engine.settings))
        request = _again(generation, who, "1:1", ALICE, 1)
        assert [Path(p) for p in request.references] == [moved.resolve()]
