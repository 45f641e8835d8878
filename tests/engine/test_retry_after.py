"""Retry-After over real HTTP on loopback: a 429 (or 503) server's wait is honoured up to
``[higgsfield] max_retry_after`` (60 s by default), then the call is repeated."""

from __future__ import annotations

import logging

import httpx
import pytest
from aiohttp import web

from higgsctl.engine import Engine, load_settings
from higgsctl.engine.errors import HiggsfieldRateLimited
from higgsctl.engine.higgsfield import HiggsfieldClient, RetryPolicy, Status

RID = "r-1"


class Throttling:
    """Answers the first ``refusals`` status calls with ``status`` and a Retry-After."""

    def __init__(self, retry_after: str, refusals: int, status: int = 429) -> None:
        self.retry_after, self.refusals, self.status, self.calls = retry_after, refusals, status, 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.calls <= self.refusals:
            return web.json_response({"detail": "slow down"}, status=self.status,
                                     headers={"Retry-After": self.retry_after})
        return web.json_response({"request_id": RID, "status": "in_progress"})


@pytest.fixture
async def serve():
    runners = []

    async def start(server: Throttling) -> str:
        app = web.Application()
        app.router.add_get("/requests/{rid}/status", server.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()


def recorder(waits: list[float]):
    async def sleep(seconds: float) -> None:  # the server's clock is not ours to wait on in a test
        waits.append(seconds)
    return sleep


@pytest.mark.parametrize("transport", [None, httpx.AsyncHTTPTransport], ids=["aiohttp (default)", "httpx"])
@pytest.mark.parametrize(("cap", "expected"), [(60.0, [1.0, 30.0, 60.0]), (10.0, [1.0, 10.0, 10.0]),
                                               (200.0, [1.0, 30.0, 120.0])])
@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_waited_up_to_the_cap(serve, transport, cap, expected, status):
    waits: list[float] = []
    for retry_after, wait in zip(("1", "30", "120"), expected):
        server = Throttling(retry_after, refusals=1, status=status)
        base = await serve(server)
        async with HiggsfieldClient(base, "key-id", "secret", retry=RetryPolicy(max_retry_after=cap),
                                    transport=transport and transport(), sleep=recorder(waits)) as client:
            assert (await client.status(RID)).status is Status.IN_PROGRESS
        assert server.calls == 2 and waits[-1] == wait
    assert waits == expected


async def test_a_rate_limit_that_lasts_raises_the_typed_error(serve):
    waits: list[float] = []
    server = Throttling("120", refusals=10)
    base = await serve(server)
    async with HiggsfieldClient(base, "key-id", "secret", retry=RetryPolicy(max_attempts=3),
                                sleep=recorder(waits)) as client:
        with pytest.raises(HiggsfieldRateLimited) as caught:
            await client.status(RID)
    assert (caught.value.retry_after, caught.value.status_code, caught.value.code) == (120.0, 429, "service_rate_limited")
    assert server.calls == 3 and waits == [60.0, 60.0]


async def test_the_configured_cap_reaches_the_engines_client(serve, write_config, caplog):
    server = Throttling("120", refusals=1)
    base = await serve(server)
    write_config(f'[higgsfield]\nbase_url = "{base}"\napi_key = "key-id"\napi_secret = "secret"\n'
                 "max_retry_after = 0.05\n")
    settings = load_settings()
    assert settings.higgsfield.max_retry_after == 0.05
    engine = Engine(settings)
    try:
        with caplog.at_level(logging.INFO, logger="higgsctl.higgsfield"):
            assert (await engine.generations.client.status(RID)).status is Status.IN_PROGRESS
    finally:
        await engine.aclose()
    assert server.calls == 2
    assert any("HTTP 429" in r.getMessage() and "retrying in 0.05 s" in r.getMessage() for r in caplog.records)
