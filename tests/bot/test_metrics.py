"""/metrics, /healthz and /readyz served by the running bot: figures from this process and
from the database after a real generation, readiness that follows the database and
Higgsfield, hostile requests refused, and no secret in the output."""

from dataclasses import replace

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from higgsctl.engine import GenerationRequest
from higgsctl.engine import metrics_server
from tests.ports import free_port

from .harness import Running, configure


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


@pytest.fixture
async def bot(settings, emu, sandbox, monkeypatch):
    monkeypatch.setattr(metrics_server, "READY_CACHE", 0.0)
    s = configure(settings, emu, sandbox)
    s = replace(s, observability=replace(s.observability, metrics_port=free_port()))
    running = await Running(s).start()
    yield running
    await running.stop()


async def test_metrics_after_a_generation(bot, emu):
    engine = bot.engine
    engine.users.register(7)
    await engine.generations.run(GenerationRequest(user_id=7, model="nano-banana", prompt="a fox", aspect_ratio="1:1"))
    url = f"http://127.0.0.1:{bot.settings.observability.metrics_port}"
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)
    assert found[("higgsctl_generations_total", (("model", "nano-banana"), ("status", "completed")))] == 1
    assert found[("higgsctl_credits_total", (("charge", "captured"),))] == 50
    assert found[("higgsctl_credits_held", ())] == 0
    assert found[("higgsctl_slots", (("state", "limit"),))] == bot.settings.higgsfield.max_concurrent
    assert found[("higgsctl_higgsfield_requests_total", (("endpoint", "submit"), ("outcome", "200")))] >= 1
    assert found[("higgsctl_generation_stage_seconds_count", (("stage", "queued"),))] >= 1
    assert any(name == "higgsctl_telegram_calls_total" and dict(labels)["method"] == "getMe"
               for name, labels in found)
    for secret in (emu.token, bot.settings.higgsfield.api_secret):
        assert secret not in response.text


async def test_health_and_readiness_follow_the_database_and_higgsfield(bot, sandbox):
    url = f"http://127.0.0.1:{bot.settings.observability.metrics_port}"
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{url}/healthz")).text == "ok\n"
        ready = await client.get(f"{url}/readyz")
        assert ready.status_code == 200 and ready.json() == {"database": "ok", "higgsfield": "ok"}
        await sandbox.stop()
        down = await client.get(f"{url}/readyz")
        assert down.status_code == 503 and down.json()["higgsfield"].startswith("unreachable")


@pytest.mark.parametrize("raw, status", [
    (b"POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405),
    (b"GET /../etc/passwd HTTP/1.1\r\n\r\n", 404),
    (b"GET /metrics" + b"A" * 10000 + b" HTTP/1.1\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
])
async def test_hostile_requests_get_a_plain_refusal(bot, raw, status):
    import asyncio

    reader, writer = await asyncio.open_connection("127.0.0.1", bot.settings.observability.metrics_port)
    writer.write(raw)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    assert answer.startswith(f"HTTP/1.1 {status} ".encode())
