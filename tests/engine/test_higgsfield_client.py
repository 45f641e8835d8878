"""HiggsfieldClient against pytest-httpx mocks. pytest-httpx fails a test if a mocked response
is left unused or an unexpected request is made, so registered responses pin retry counts."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
import pytest
from PIL import Image
from pytest_httpx import HTTPXMock, IteratorStream

from higgsctl.engine.errors import (
    ConcurrencyLimitError, ConfigError, DownloadTooLarge, HiggsfieldAuthError,
    HiggsfieldCreditsError, HiggsfieldError, HiggsfieldNetworkError, HiggsfieldNotFound,
    HiggsfieldRateLimited, HiggsfieldServerError, HiggsfieldTimeout, HiggsfieldValidationError, InvalidInput,
)
from higgsctl.engine.higgsfield import HiggsfieldClient, PollPolicy, RequestStatus, RetryPolicy, Status
from higgsctl.engine.higgsfield.errors_map import error_from_response, retry_after

BASE, RID = "https://api.test", "3c90c3cc-0d44-4b50-8888-8dd25736052a"
STATUS, CANCEL = f"{BASE}/requests/{RID}/status", f"{BASE}/requests/{RID}/cancel"
CDN, SECRET = "https://cdn.example/r.png", "s3cr3t-SECRET-value"
FAST = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.01)
QUICK_POLL = PollPolicy(initial=0.01, factor=1.0, maximum=0.01, jitter=0, timeout=5)


def body(status: str = "queued", **extra) -> dict:
    return {"request_id": RID, "status": status, "status_url": STATUS, "cancel_url": CANCEL, **extra}


@pytest.fixture
async def client():
    async with HiggsfieldClient(BASE, "key-id", SECRET, retry=FAST, transport=httpx.AsyncHTTPTransport()) as c:
        yield c


async def test_submit_wire_format(client: HiggsfieldClient, httpx_mock: HTTPXMock):
    httpx_mock.add_response(method="POST", json=body())
    args = {"prompt": "a cat", "num_images": 2}
    result = await client.submit("higgsfield-ai/soul/standard", args, idempotency_key="k-1",
                                 webhook_url="https://hook.example/hf?a=1&b=2")
    request = httpx_mock.get_request()
    assert request.headers["Authorization"] == f"Key key-id:{SECRET}"
    assert (request.headers["User-Agent"], request.headers["Idempotency-Key"]) == ("higgsctl/0.1", "k-1")
    assert request.url.path == "/higgsfield-ai/soul/standard"
    assert request.url.query == b"hf_webhook=https%3A%2F%2Fhook.example%2Fhf%3Fa%3D1%26b%3D2"
    assert json.loads(request.content) == args  # flat, not wrapped in "params"
    assert result == RequestStatus(RID, Status.QUEUED, STATUS, CANCEL, raw=body())
    httpx_mock.add_response(json=body())
    await client.submit("nano-banana", {"prompt": "x"}, idempotency_key="k")
    assert httpx_mock.get_requests()[-1].url.query == b""  # no webhook, no query


@pytest.mark.parametrize("call", [
    lambda c: c.submit("../admin", {}, idempotency_key="k"), lambda c: c.submit("/x", {}, idempotency_key="k"),
    lambda c: c.submit("m", {}, idempotency_key="a b"), lambda c: c.submit("m", {}, idempotency_key=""),
    lambda c: c.status("../../files"), lambda c: c.status("a/b"), lambda c: c.status(""),
    lambda c: c.status("x?y=1"), lambda c: c.cancel("%2e%2e"), lambda c: c.cancel("../x"),
])
async def test_bad_input_rejected_before_sending(client, httpx_mock, call):
    with pytest.raises(InvalidInput):
        await call(client)
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(("code", "detail", "error"), [
    (401, "Invalid credentials", HiggsfieldAuthError), (403, "Not enough credits", HiggsfieldCreditsError),
    (400, "Maximum number of concurrent requests (4) has been reached", ConcurrencyLimitError),
    (400, "bad prompt", HiggsfieldValidationError), (422, "bad ratio", HiggsfieldValidationError),
    (404, "Request not found", HiggsfieldNotFound), (423, "Model blocked", HiggsfieldServerError),
    (429, "slow down", HiggsfieldRateLimited), (500, "boom", HiggsfieldServerError),
    (503, "x", HiggsfieldServerError)])
async def test_status_code_maps_to_error(httpx_mock, code, detail, error):
    httpx_mock.add_response(status_code=code, json={"detail": detail}, headers={"X-Correlation-ID": "c-1"})
    async with HiggsfieldClient(BASE, "key-id", SECRET, retry=RetryPolicy(max_attempts=1), transport=httpx.AsyncHTTPTransport()) as c:
        with pytest.raises(error) as info:
            await c.status(RID)
    assert type(info.value) is error and detail in info.value.message
    assert (info.value.status_code, info.value.correlation_id) == (code, "c-1")
    assert info.value.retryable == (error in (ConcurrencyLimitError, HiggsfieldServerError, HiggsfieldRateLimited))


def test_error_hints_and_raw_text():
    hint = error_from_response(httpx.Response(401, json={"detail": "Invalid credentials"})).hint
    assert "api_key/api_secret" in hint and "HF_KEY" in hint
    assert "Top up" in error_from_response(httpx.Response(403, json={"detail": "no"})).hint
    assert error_from_response(httpx.Response(408)).retryable
    raw = error_from_response(httpx.Response(400, text="<html>" + "x" * 5000)).message
    assert "<html>xxx" in raw and len(raw) < 400  # raw text fallback, truncated


@pytest.mark.parametrize(("payload", "expected"), [
    ({"detail": "from detail", "message": "no"}, "from detail"), ({"details": "in details"}, "in details"),
    ({"message": "from message", "error": "no"}, "from message"), ({"error": "from error"}, "from error"),
    ({"detail": [{"type": "missing", "loc": ["body", "prompt"], "msg": "Field required"},
                 {"loc": ["body", "num_images"], "msg": "must be <= 4"}]},
     "body.prompt: Field required; body.num_images: must be <= 4"),
])
async def test_message_extraction(client, httpx_mock, payload, expected):
    httpx_mock.add_response(status_code=422, json=payload)
    with pytest.raises(HiggsfieldValidationError) as info:
        await client.submit("nano-banana", {}, idempotency_key="k")
    assert info.value.message.endswith(f": {expected}")


async def test_status_retries_5xx_then_succeeds_or_gives_up(client, httpx_mock):
    for response in [dict(status_code=503), dict(status_code=502), dict(json=body("in_progress"))]:
        httpx_mock.add_response(**response)
    assert (await client.status(RID)).status is Status.IN_PROGRESS and len(httpx_mock.get_requests()) == 3
    for _ in range(3):  # FAST allows 3 attempts, then the last error is raised
        httpx_mock.add_response(status_code=500, json={"detail": "down"})
    with pytest.raises(HiggsfieldServerError, match="down"):
        await client.status(RID)


async def test_submit_retried_on_503_with_same_idempotency_key(client, httpx_mock):
    httpx_mock.add_response(status_code=503)
    httpx_mock.add_exception(httpx.ReadTimeout("slow"))
    httpx_mock.add_response(json=body())
    await client.submit("nano-banana", {"prompt": "x"}, idempotency_key="same-key")
    assert [r.headers["Idempotency-Key"] for r in httpx_mock.get_requests()] == ["same-key"] * 3


@pytest.mark.parametrize("code", [400, 401, 403, 408, 422])
async def test_submit_not_retried_on_4xx(client, httpx_mock, code):
    httpx_mock.add_response(status_code=code, json={"detail": "no"})
    with pytest.raises(HiggsfieldError):
        await client.submit("nano-banana", {}, idempotency_key="k")
    assert len(httpx_mock.get_requests()) == 1


@pytest.mark.parametrize(("exc", "error"), [(httpx.ConnectError, HiggsfieldNetworkError),
                                             (httpx.ConnectTimeout, HiggsfieldTimeout)])
async def test_transport_error_retried_then_raised(client, httpx_mock, exc, error):
    for _ in range(3):
        httpx_mock.add_exception(exc("connection trouble"))
    with pytest.raises(error, match="connection trouble") as info:
        await client.status(RID)
    assert info.value.retryable


def test_retry_and_poll_policies():
    policy = RetryPolicy(max_attempts=5, base_delay=1.0, max_delay=8.0)
    assert all(0 <= policy.backoff(1) <= 1.0 and 0 <= policy.backoff(10) <= 8.0 for _ in range(50))
    assert (policy.backoff(1, retry_after=3.0), policy.backoff(1, retry_after=120.0)) == (3.0, 60.0)  # max_retry_after
    assert retry_after(httpx.Response(429, headers={"Retry-After": "2"})) == 2.0
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    delays = PollPolicy(jitter=0).delays()
    assert [next(delays) for _ in range(7)] == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]
    jittered = PollPolicy(initial=1, maximum=1, jitter=0.5).delays()
    assert all(1.0 <= next(jittered) <= 1.5 for _ in range(20))


async def test_follows_trusted_status_and_cancel_urls(client, httpx_mock):
    url = f"https://platform.higgsfield.ai/v2/requests/{RID}/status"
    httpx_mock.add_response(url=url, json=body())
    httpx_mock.add_response(url=STATUS, json=body())  # an untrusted host is not followed
    httpx_mock.add_response(url=f"{BASE}/custom/cancel", status_code=202)
    await client.status(RID, url)
    await client.status(RID, f"https://evil.example/requests/{RID}/status")
    assert await client.cancel(RID, f"{BASE}/custom/cancel") is True


async def test_cancel(client, httpx_mock):
    httpx_mock.add_response(method="POST", url=CANCEL, status_code=202)
    httpx_mock.add_response(method="POST", url=CANCEL, status_code=400, json={"detail": "already started"})
    httpx_mock.add_response(method="POST", url=CANCEL, status_code=404, json={"detail": "nope"})
    assert await client.cancel(RID) is True
    assert await client.cancel(RID, CANCEL) is False
    with pytest.raises(HiggsfieldNotFound):
        await client.cancel(RID)
    assert len(httpx_mock.get_requests()) == 3  # no retry on 400


async def test_upload_uses_presigned_headers_without_auth(client, httpx_mock):
    put_url = "https://storage.example/put?sig=1"
    httpx_mock.add_response(method="POST", url=f"{BASE}/files/generate-upload-url", json={
        "public_url": "https://cdn.example/in/x.png", "upload_url": put_url, "content_type": "image/png",
        "upload_headers": {"Content-Type": "image/png", "x-amz-tagging": "retention=temporary"}})
    httpx_mock.add_response(method="PUT", url=put_url, status_code=503)
    httpx_mock.add_response(method="PUT", url=put_url)
    assert await client.upload(b"\x89PNG", "image/png") == "https://cdn.example/in/x.png"
    post, *puts = httpx_mock.get_requests()
    assert json.loads(post.content) == {"content_type": "image/png"} and len(puts) == 2
    assert post.headers["Authorization"].startswith("Key ")
    for put in puts:
        assert "Authorization" not in put.headers and put.content == b"\x89PNG"
        assert put.headers["x-amz-tagging"] == "retention=temporary"
        assert put.headers["Content-Type"] == "image/png"


async def test_upload_without_upload_headers_sends_only_content_type(client, httpx_mock):
    httpx_mock.add_response(method="POST", json={"public_url": "https://cdn.example/a.jpg",
                                                 "upload_url": "https://storage.example/a"})
    httpx_mock.add_response(method="PUT", status_code=403, text="SignatureDoesNotMatch")
    with pytest.raises(HiggsfieldError) as info:
        await client.upload(b"jpeg", "image/jpeg")
    assert not isinstance(info.value, HiggsfieldCreditsError)  # a storage 403 is not our account
    put_headers = httpx_mock.get_requests()[-1].headers
    assert put_headers["Content-Type"] == "image/jpeg" and "x-amz-tagging" not in put_headers


async def test_download_streams_to_disk_and_retries(client, httpx_mock, tmp_path):
    def broken():
        yield b"half"
        raise httpx.ReadError("connection reset")

    png = io.BytesIO()
    Image.effect_noise((48, 48), 64).save(png, "PNG")
    data = png.getvalue()
    chunks = [data[:1000], data[1000:2000], data[2000:]]
    httpx_mock.add_response(url=CDN, status_code=500)
    httpx_mock.add_response(url=CDN, stream=IteratorStream(broken()))
    httpx_mock.add_response(url=CDN, stream=IteratorStream(chunks))
    dest = tmp_path / "out" / "r.png"
    assert await client.download(CDN, dest, max_bytes=10_000) == len(data)
    assert dest.read_bytes() == data and list(dest.parent.iterdir()) == [dest]
    assert all("Authorization" not in r.headers for r in httpx_mock.get_requests())


@pytest.mark.parametrize("chunked", [False, True])
async def test_download_enforces_max_bytes(client, httpx_mock, tmp_path, chunked):
    chunks = (b"x" * 1024 for _ in range(10_000))  # chunked: no Content-Length, far past the limit
    httpx_mock.add_response(**{"stream": IteratorStream(chunks)} if chunked else {"content": b"x" * 4097})
    dest = tmp_path / "dl" / "r.png"
    with pytest.raises(DownloadTooLarge):
        await client.download(CDN, dest, max_bytes=4096)
    assert sum(1 for _ in chunks) > (9_900 if chunked else 9_999)  # aborted early, never buffered
    assert [p for p in dest.parent.rglob("*") if p.is_file()] == []  # no dest, no .part


async def test_poll_yields_only_changes(client, httpx_mock):
    for status in ["queued", "queued", "in_progress", "in_progress", "completed"]:
        extra = {"images": [{"url": CDN}]} if status == "completed" else {}
        httpx_mock.add_response(url=STATUS, json=body(status, **extra))
    seen = [s async for s in client.poll(RID, status_url=STATUS, policy=QUICK_POLL)]
    assert [s.status for s in seen] == [Status.QUEUED, Status.IN_PROGRESS, Status.COMPLETED]
    assert seen[-1].image_urls == (CDN,)


async def test_poll_survives_503_and_malformed_json(client, httpx_mock):
    # one request each: poll's status calls are not retried inside, the poll loop retries
    for response in [dict(json=body("queued")), dict(status_code=503), dict(text="<html>gateway</html>")]:
        httpx_mock.add_response(**response)
    httpx_mock.add_exception(httpx.ConnectError("blip"))
    httpx_mock.add_response(json=body("failed", error="Generation failed"))
    seen = [(s.status, s.error) async for s in client.poll(RID, policy=QUICK_POLL)]
    assert seen == [(Status.QUEUED, None), (Status.FAILED, "Generation failed")]


@pytest.mark.parametrize(("code", "error"), [(401, HiggsfieldAuthError), (404, HiggsfieldNotFound)])
async def test_poll_aborts_on_401_and_404(client, httpx_mock, code, error):
    httpx_mock.add_response(json=body("queued"))
    httpx_mock.add_response(status_code=code, json={"detail": "no"})
    with pytest.raises(error):
        [s async for s in client.poll(RID, policy=QUICK_POLL)]


async def test_poll_times_out(client, httpx_mock):
    httpx_mock.add_response(json=body("in_progress"), is_reusable=True)
    seen, policy = [], PollPolicy(initial=0.01, maximum=0.01, jitter=0, timeout=0.1)
    with pytest.raises(HiggsfieldTimeout, match="in_progress"):
        async for status in client.poll(RID, policy=policy):
            seen.append(status.status)
    assert seen == [Status.IN_PROGRESS] and len(httpx_mock.get_requests()) >= 3


async def test_secret_never_in_errors_or_logs(client, httpx_mock, caplog):
    caplog.set_level(logging.DEBUG)
    httpx_mock.add_response(status_code=401, json={"detail": f"bad key Key key-id:{SECRET}"})
    for _ in range(3):
        httpx_mock.add_exception(httpx.ConnectError(f"refused {SECRET}"))
    for expected in (HiggsfieldAuthError, HiggsfieldNetworkError):
        with pytest.raises(expected) as info:
            await client.status(RID)
        assert SECRET not in f"{info.value} {info.value!r} {info.value.hint} {info.value.args}"
    assert SECRET not in repr(client) and caplog.records and SECRET not in caplog.text


def test_request_status_from_json_is_tolerant():
    data = {"request_id": RID, "status": "completed",
            "images": [{"url": "https://a/1.png"}, "https://a/2.png", {"image_url": "https://a/3.png"}, 7]}
    parsed = RequestStatus.from_json(data)
    assert parsed.image_urls == ("https://a/1.png", "https://a/2.png", "https://a/3.png")
    assert parsed.status_url is None and parsed.status.terminal and parsed.raw == data
    envelope = {"request_id": RID, "status": "completed", "payload": {"images": [{"url": "https://a/x"}]}}
    assert RequestStatus.from_json(envelope).image_urls == ("https://a/x",)
    assert RequestStatus.from_json({"request_id": RID, "status": "cancelled"}).status is Status.CANCELED
    for bad in [{"request_id": RID, "status": "exploded"}, {"status": "queued"}, [], None]:
        with pytest.raises(HiggsfieldServerError):
            RequestStatus.from_json(bad)
    assert {s for s in Status if s.terminal} == {"completed", "failed", "nsfw", "canceled"}


async def test_constructor_validates_config():
    for args in [("ftp://x", "id", "secret"), (BASE, "id", ""), (BASE, "id", "sec\nret")]:
        with pytest.raises(ConfigError, match="^(?!.*sec).*$"):  # never echoes the secret
            HiggsfieldClient(*args)
    async with HiggsfieldClient(BASE, "id:secret", "", transport=httpx.AsyncHTTPTransport()) as c:  # HF_KEY form
        assert c._api.headers["Authorization"] == "Key id:secret"


async def test_cookies_are_neither_kept_nor_sent_back(client: HiggsfieldClient, httpx_mock: HTTPXMock):
    """A Set-Cookie from the API or the file host (a load balancer's, a CDN's) is ignored:
    nothing a server says can ride along on the next request."""
    httpx_mock.add_response(method="POST", json=body(), headers={"Set-Cookie": "lb=api-1; Path=/"})
    httpx_mock.add_response(url=STATUS, json=body("in_progress"), headers={"Set-Cookie": "sid=abc; Path=/"})
    await client.submit("nano-banana", {"prompt": "x"}, idempotency_key="k")
    await client.status(RID, STATUS)
    assert [r.headers.get("cookie") for r in httpx_mock.get_requests()] == [None, None]


async def test_many_downloads_into_one_folder_leave_only_their_files(client, httpx_mock, tmp_path):
    """Parts live in a `.parts` folder that the last download tidies away while others may be
    opening theirs in it: every download still lands, and nothing else is left."""
    png = io.BytesIO()
    Image.effect_noise((32, 32), 64).save(png, "PNG")
    httpx_mock.add_response(url=CDN, content=png.getvalue(), is_reusable=True)
    folder = tmp_path / "results"
    await asyncio.gather(*(client.download(CDN, folder / f"{n}-0.png", max_bytes=1 << 20) for n in range(40)))
    assert sorted(p.name for p in folder.rglob("*")) == sorted(f"{n}-0.png" for n in range(40))
