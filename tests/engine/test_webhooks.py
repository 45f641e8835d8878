"""Higgsfield's webhooks: the sandbox signs them the Standard Webhooks way, the receiver checks
the signature (two secrets during a rotation, a ±5 minute window), writes the delivery down
before answering, acts on a redelivery once, and wakes the job, which then finishes long
before its next (slow) poll."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from higgsctl.engine import GenerationRequest
from higgsctl.engine.models import Generation, WebhookDelivery
from higgsctl.engine.webhooks import WebhookInbox, webhook_server
from higgsctl.launch import open_engine, sandbox_options, settings_for_sandbox
from higgsctl.sandbox import Sandbox
from tests.ports import free_port


def secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


OLD, NEW = secret(), secret()


def signed(body: bytes, *secrets: str, webhook_id: str = "msg_1", at: datetime | None = None) -> dict[str, str]:
    at = at or datetime.now(timezone.utc)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(Webhook(s).sign(webhook_id, at, body) for s in secrets)}


@contextlib.asynccontextmanager
async def hooked_engine(settings, service_time: float):
    """An engine that polls every 30 s, a sandbox that signs with NEW, a receiver that accepts OLD and NEW."""
    port = free_port()
    hooked = replace(settings, higgsfield=replace(settings.higgsfield, webhook_url=f"http://127.0.0.1:{port}/hf/hook",
                                                  webhook_secret=f"{OLD} {NEW}", webhook_port=port, webhook_poll=30.0))
    async with Sandbox(sandbox_options(hooked, service_time=service_time, webhook_secrets=(NEW,))) as sandbox:
        async with open_engine(settings_for_sandbox(hooked, sandbox)) as engine:
            server = webhook_server(engine)
            await server.start()
            engine.users.register(1)
            try:
                yield engine, sandbox
            finally:
                await server.stop()


@pytest.fixture
async def pushed(settings):
    async with hooked_engine(settings, 0.4) as running:
        yield running


async def test_a_webhook_finishes_the_job_long_before_its_next_poll(pushed):
    engine, sandbox = pushed
    started = time.monotonic()
    generation = await asyncio.wait_for(engine.generations.run(GenerationRequest(
        user_id=1, model="nano-banana", prompt="pushed", aspect_ratio="1:1")), timeout=20)
    assert generation.status == "completed" and time.monotonic() - started < 10  # not 30 s
    record = sandbox.requests[generation.request_id]
    assert record.webhook == engine.settings.higgsfield.webhook_url and record.webhook_delivered
    assert record.status_calls == 0  # the signed webhook named the image: nothing to ask
    [delivery] = WebhookDelivery.select()
    assert (delivery.request_id, delivery.status) == (generation.request_id, "completed")


@pytest.mark.parametrize("fault", ["failed", "nsfw"])
async def test_bad_news_by_webhook_is_confirmed_by_the_api_before_credits_move(pushed, fault):
    """Releasing the hold rests on the status endpoint's word, not on the webhook's alone."""
    engine, sandbox = pushed
    balance = engine.users.get(1).balance
    generation = await asyncio.wait_for(engine.generations.run(GenerationRequest(
        user_id=1, model="nano-banana", prompt=f"pushed [sandbox:{fault}]", aspect_ratio="1:1")), timeout=20)
    assert generation.status == fault and engine.users.get(1).balance == balance
    assert sandbox.requests[generation.request_id].status_calls == 1


@pytest.mark.parametrize("url", ["ftp://cdn.example/1.png", "/1.png", "http://127.0.0.1:1/1.png",
                                 "{sandbox}/results/no-such-request/0.png"])  # a 404: not "the result is gone"
async def test_a_webhooks_image_url_that_cannot_be_fetched_gives_way_to_the_status_endpoints(settings, url):
    """A signed "completed" naming a URL we can't download: the job asks the API for its URLs
    on the next try, instead of retrying that URL for result_deadline_hours, or taking its 404
    for the image being gone and releasing a picture Higgsfield made."""
    async with hooked_engine(settings, 1.0) as (engine, sandbox):
        url = url.format(sandbox=sandbox.base_url)
        balance = engine.users.get(1).balance
        run = asyncio.ensure_future(engine.generations.run(GenerationRequest(
            user_id=1, model="nano-banana", prompt="odd url", aspect_ratio="1:1")))
        while not Generation.select().where(Generation.request_id.is_null(False)).exists():  # submitted
            await asyncio.sleep(0.01)
        [request_id] = sandbox.requests
        body = json.dumps({"request_id": request_id, "status": "completed", "images": [{"url": url}]}).encode()
        assert (await WebhookInbox(engine).receive(body, signed(body, NEW, webhook_id="odd")))[0] == 204
        generation = await asyncio.wait_for(run, timeout=15)
        assert generation.status == "completed" and len(generation.result_files) == 1
        assert engine.users.get(1).balance == balance - generation.cost and generation.charge == "captured"


@pytest.fixture
def inbox(pushed):
    engine, _ = pushed
    woken: list[int] = []
    told: list = []
    real = engine.generations.nudge

    def nudge(generation_id, status=None):
        woken.append(generation_id)
        told.append(status)
        return real(generation_id, status)

    engine.generations.nudge = nudge
    return WebhookInbox(engine), engine, woken, told


async def test_signatures_rotation_window_and_redelivery(inbox):
    box, engine, woken, told = inbox
    g = engine.generations.rows.hold(1, 1, model="nano-banana", prompt="p", aspect_ratio="1:1")
    engine.generations.update(g.id, request_id="req-1")
    body = json.dumps({"request_id": "req-1", "status": "completed",
                       "images": [{"url": "https://cdn.example/1.png"}]}).encode()
    assert (await box.receive(body, signed(body, OLD)))[0] == 204  # the old secret, during a rotation
    assert (await box.receive(body, signed(body, OLD)))[0] == 204  # a redelivery: answered, not acted on
    assert woken == [g.id] and WebhookDelivery.select().count() == 1
    assert told[0].image_urls == ("https://cdn.example/1.png",)
    assert (await box.receive(body, signed(body, NEW, webhook_id="msg_2")))[0] == 204
    assert woken == [g.id, g.id]
    bad = {
        "wrong secret": signed(body, secret(), webhook_id="m3"),
        "too old": signed(body, NEW, webhook_id="m4", at=datetime.now(timezone.utc) - timedelta(minutes=6)),
        "from the future": signed(body, NEW, webhook_id="m5", at=datetime.now(timezone.utc) + timedelta(minutes=6)),
        "no signature": {"webhook-id": "m6", "webhook-timestamp": str(int(time.time()))},
        "body changed": signed(body + b" ", NEW, webhook_id="m7") | {"x": "y"},
    }
    for what, headers in bad.items():
        answer = await box.receive(body if what != "body changed" else body.replace(b"req-1", b"req-2"), headers)
        assert answer[0] == 401, what
    not_json = b"not json"
    assert (await box.receive(not_json, signed(not_json, NEW, webhook_id="m8")))[0] == 401
    unknown = json.dumps({"request_id": "someone-else", "status": "failed"}).encode()
    assert (await box.receive(unknown, signed(unknown, NEW, webhook_id="m9")))[0] == 204
    assert woken == [g.id, g.id] and WebhookDelivery.select().count() == 3


async def test_the_receiver_over_http_refuses_what_it_should(pushed):
    engine, _ = pushed
    url = engine.settings.higgsfield.webhook_url
    async with httpx.AsyncClient() as client:
        assert (await client.get(url)).status_code == 405
        assert (await client.post(url.replace("/hf/hook", "/other"), content=b"{}")).status_code == 404
        assert (await client.post(url, content=b"x" * (300 * 1024))).status_code == 413
        unsigned = await client.post(url, json={"request_id": "r", "status": "completed"})
        assert unsigned.status_code == 401
    assert WebhookDelivery.select().count() == 0  # nothing refused was written down


async def test_a_lost_webhook_is_recovered_by_the_slow_poll(settings):
    """The webhook never arrives (nobody listens where it is sent): the safety poll finishes the job."""
    lost = replace(settings, higgsfield=replace(settings.higgsfield, webhook_url=f"http://127.0.0.1:{free_port()}/gone",
                                                webhook_secret=NEW, webhook_poll=0.5))
    async with Sandbox(sandbox_options(lost, service_time=0.2, webhook_secrets=(NEW,))) as sandbox:
        async with open_engine(settings_for_sandbox(lost, sandbox)) as engine:
            engine.users.register(1)
            generation = await asyncio.wait_for(engine.generations.run(GenerationRequest(
                user_id=1, model="nano-banana", prompt="lost", aspect_ratio="1:1")), timeout=20)
    assert generation.status == "completed" and not sandbox.requests[generation.request_id].webhook_delivered


async def test_a_webhook_another_process_received_wakes_the_worker_that_drives_the_job(settings, home, database_url):
    """Higgsfield calls one public URL: here this process receives (as the bot does) while a
    `higgsctl worker` process drives the jobs. The worker's webhook tail sees the deliveries in
    the database and wakes its jobs long before their 30 s safety poll; each asks once."""
    import subprocess
    import sys

    from higgsctl.engine import load_settings

    port = free_port()
    async with Sandbox(sandbox_options(settings, service_time=0.3, webhook_secrets=(NEW,))) as sandbox:
        (home / "config.toml").write_text(
            f'[higgsfield]\nbase_url = "{sandbox.base_url}"\napi_key = "sandbox"\napi_secret = "sandbox-secret"\n'
            f'webhook_url = "http://127.0.0.1:{port}/hf/hook"\nwebhook_secret = "{NEW}"\nwebhook_port = {port}\n'
            f'webhook_poll = 30.0\n[database]\nurl = "{database_url}"\n')
        async with open_engine(load_settings()) as engine:
            receiver = webhook_server(engine)
            await receiver.start()
            engine.users.register(1)
            ids = [g.id for n in range(3) for g in await engine.generations.create_batch(GenerationRequest(
                user_id=1, model="nano-banana", prompt=f"elsewhere {n}", aspect_ratio="1:1"), lease=False)]
            worker = subprocess.Popen([sys.executable, "-c", "from higgsctl.cli import main; main()", "worker"],
                                      env={**os.environ, "HIGGSCTL_HOME": str(home)}, stderr=subprocess.PIPE, text=True)
            started = time.monotonic()
            try:
                while any(engine.generations.get(i).status != "completed" for i in ids):
                    assert worker.poll() is None, worker.communicate()[1][-3000:]
                    assert time.monotonic() - started < 20, "the jobs waited for the safety poll"
                    await asyncio.sleep(0.05)
            finally:
                worker.terminate()
                worker.communicate(timeout=20)
                await receiver.stop()
            for gid in ids:
                record = sandbox.requests[engine.generations.get(gid).request_id]
                assert record.webhook_delivered and record.status_calls == 1
