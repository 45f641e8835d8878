"""The sandbox over real loopback HTTP: auth, lifecycle, faults, uploads, idempotency, webhooks, SDK."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid

import httpx
import pytest
from aiohttp import web
from PIL import Image

from higgsctl.sandbox import AppSpec, Sandbox, SandboxOptions
from higgsctl.sandbox.images import render_png

AUTH = {"Authorization": "Key sandbox:sandbox-secret"}


@pytest.fixture
async def sandbox():
    async with Sandbox(SandboxOptions(service_time=0.3, image_long_side=256)) as sb:
        yield sb


@pytest.fixture
async def client(sandbox):
    async with httpx.AsyncClient(base_url=sandbox.base_url, headers=AUTH, timeout=5) as c:
        yield c


async def submit(client, prompt="a red fox", path="/nano-banana", **args):
    response = await client.post(path, json={"prompt": prompt, **args})
    assert response.status_code == 200, response.text
    return response.json()


async def wait_for(client, status_url, wanted, deadline=5.0):
    """Poll until the status is in `wanted`; return (final body, statuses seen in order)."""
    seen: list[str] = []
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        body = (await client.get(status_url)).json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] in wanted:
            return body, seen
        await asyncio.sleep(0.02)
    raise AssertionError(f"never reached {wanted}; saw {seen}")


async def test_auth_key_legacy_headers_and_correlation_id(sandbox, client):
    async with httpx.AsyncClient(base_url=sandbox.base_url) as anon:
        missing = await anon.post("/nano-banana", json={"prompt": "x"})
        wrong = await anon.post("/nano-banana", json={"prompt": "x"}, headers={"Authorization": "Key sandbox:nope"})
        status = await anon.get(f"/requests/{uuid.uuid4()}/status")
        legacy = await anon.post("/nano-banana", json={"prompt": "x"},
                                 headers={"hf-api-key": "sandbox", "hf-secret": "sandbox-secret"})
    for response in (missing, wrong, status):
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid credentials"}
    assert legacy.status_code == 200
    ids = {r.headers["X-Correlation-ID"] for r in (missing, wrong, status, legacy)}
    assert len(ids) == 4 and all(uuid.UUID(i) for i in ids)
    assert sandbox.stats.submits == 1


async def test_lifecycle_queued_in_progress_completed_png(sandbox, client):
    sandbox.options.service_time = 1.0  # a queued window of 0.3 s that polling cannot miss
    job = await submit(client, aspect_ratio="16:9", num_images=2)
    assert job["status"] == "queued"
    assert job["status_url"] == f"{sandbox.base_url}/requests/{job['request_id']}/status"
    assert job["cancel_url"] == f"{sandbox.base_url}/requests/{job['request_id']}/cancel"
    early = await client.get(f"/results/{job['request_id']}/0.png")
    assert early.status_code == 404

    final, seen = await wait_for(client, job["status_url"], {"completed"})
    assert seen == ["queued", "in_progress", "completed"]
    assert [i["content_type"] for i in final["images"]] == ["image/png", "image/png"]
    for image in final["images"]:
        png = await client.get(image["url"], headers={})
        assert png.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png.content)).size == (256, 144)
    assert (await client.get(f"/results/{job['request_id']}/2.png")).status_code == 404
    assert sandbox.stats.downloads == 2
    assert sandbox.stats.status_calls[job["request_id"]] == sandbox.requests[job["request_id"]].status_calls >= 3


@pytest.mark.parametrize(("aspect", "size"), [(None, (256, 192)), ("auto", (256, 192)), ("9:16", (144, 256))])
async def test_result_size_follows_aspect(sandbox, client, aspect, size):
    job = await submit(client, **({"aspect_ratio": aspect} if aspect else {}))
    sandbox.complete_now(job["request_id"])
    final = (await client.get(job["status_url"])).json()
    png = await client.get(final["images"][0]["url"])
    assert Image.open(io.BytesIO(png.content)).size == size


async def test_the_image_is_made_at_the_submit_and_concurrent_downloads_render_nothing(sandbox, client):
    """As at Higgsfield, the file exists when the request completes: a download is a CDN's read."""
    before = render_png.cache_info().misses
    job = await submit(client, prompt=f"cached {uuid.uuid4()}")
    for _ in range(500):  # rendered in the background, with no download asking for it
        if render_png.cache_info().misses == before + 1:
            break
        await asyncio.sleep(0.01)
    assert render_png.cache_info().misses == before + 1
    sandbox.complete_now(job["request_id"])
    url = (await client.get(job["status_url"])).json()["images"][0]["url"]
    bodies = await asyncio.gather(*(client.get(url) for _ in range(20)))
    assert {b.content for b in bodies} == {bodies[0].content}
    assert render_png.cache_info().misses == before + 1


@pytest.mark.parametrize(("fault", "terminal"), [("nsfw", "nsfw"), ("failed", "failed")])
async def test_outcome_faults_by_marker(client, fault, terminal):
    job = await submit(client, prompt=f"a cat [sandbox:{fault}]")
    final, _ = await wait_for(client, job["status_url"], {"completed", "failed", "nsfw"})
    assert final["status"] == terminal
    assert "images" not in final
    assert final.get("error") == ("Generation failed" if fault == "failed" else None)


async def test_option_fault_applies_to_all_and_marker_overrides(sandbox, client):
    sandbox.options.fault = "failed"
    plain = await submit(client, prompt="plain")
    marked = await submit(client, prompt="marked [sandbox:nsfw]")
    assert (await wait_for(client, plain["status_url"], {"failed"}))[0]["error"] == "Generation failed"
    assert (await wait_for(client, marked["status_url"], {"nsfw"}))[0] == {
        "status": "nsfw", "request_id": marked["request_id"],
        "status_url": marked["status_url"], "cancel_url": marked["cancel_url"]}


@pytest.mark.parametrize(("fault", "code", "message"), [
    ("credits", 403, "Not enough credits"),
    ("concurrency", 400, "Maximum number of concurrent requests (4) has been reached"),
])
async def test_submit_faults(sandbox, client, fault, code, message):
    response = await client.post("/nano-banana", json={"prompt": f"x [sandbox:{fault}]"})
    assert (response.status_code, response.json()) == (code, {"detail": message})
    assert sandbox.requests == {}


async def test_server_error_fails_first_submit_and_first_status(sandbox, client):
    body = {"prompt": "x [sandbox:server_error]"}
    first = await client.post("/nano-banana", json=body)
    assert (first.status_code, first.json()) == (503, {"detail": "Service temporarily unavailable"})
    job = (await client.post("/nano-banana", json=body)).json()
    assert (await client.get(job["status_url"])).status_code == 503
    assert (await client.get(job["status_url"])).status_code == 200
    assert len(sandbox.requests) == 1


async def test_slow_and_malformed_and_timeout(sandbox, client):
    slow = await submit(client, prompt="x [sandbox:slow]")
    with pytest.raises(httpx.ReadTimeout):
        await client.get(slow["status_url"], timeout=0.4)

    bad = await submit(client, prompt="x [sandbox:malformed]")
    first = await client.get(bad["status_url"])
    assert first.status_code == 200 and first.text == "<html>oops</html>"
    assert (await client.get(bad["status_url"])).json()["request_id"] == bad["request_id"]

    stuck = await submit(client, prompt="x [sandbox:timeout]")
    end = time.monotonic() + 2 * sandbox.options.service_time
    while time.monotonic() < end:
        assert (await client.get(stuck["status_url"])).json()["status"] in ("queued", "in_progress")
        await asyncio.sleep(0.05)
    assert (await client.get(stuck["status_url"])).json()["status"] == "in_progress"


async def test_cancel(sandbox, client):
    sandbox.options.service_time = 1.0
    job = await submit(client)
    canceled = await client.post(job["cancel_url"])
    assert (canceled.status_code, canceled.content) == (202, b"")
    assert (await client.get(job["status_url"])).json()["status"] == "canceled"
    assert (await client.post(job["cancel_url"])).status_code == 400

    started = await submit(client)
    await wait_for(client, started["status_url"], {"in_progress"})
    late = await client.post(started["cancel_url"])
    assert (late.status_code, late.json()) == (400, {"detail": "Request cannot be canceled: it has already started"})
    for rid in (uuid.uuid4(), "not-a-uuid"):
        missing = await client.post(f"/requests/{rid}/cancel")
        assert missing.json() == {"detail": "Request does not exist or belongs to another account"}
        assert missing.status_code == (await client.get(f"/requests/{rid}/status")).status_code == 404


async def test_upload_flow_and_references(sandbox, client):
    assert (await client.post("/files/generate-upload-url", json={"content_type": "application/pdf"})).status_code == 422
    slot = (await client.post("/files/generate-upload-url", json={"content_type": "image/png"})).json()
    assert slot["content_type"] == "image/png"
    assert slot["upload_headers"] == {"Content-Type": "image/png", "x-amz-tagging": "retention=temporary"}
    ref = [{"type": "image_url", "image_url": slot["public_url"]}]
    missing = await client.post("/nano-banana", json={"prompt": "x", "input_images": ref})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["msg"] == "image could not be fetched"
    assert (await client.get(slot["public_url"])).status_code == 404

    data = render_png("reference", "1:1", 32)
    async with httpx.AsyncClient() as s3:
        with_auth = await s3.put(slot["upload_url"], content=data, headers={**slot["upload_headers"], **AUTH})
        wrong_type = await s3.put(slot["upload_url"], content=data,
                                  headers={**slot["upload_headers"], "Content-Type": "image/jpeg"})
        ok = await s3.put(slot["upload_url"], content=data, headers=slot["upload_headers"])
        public = await s3.get(slot["public_url"])
    assert (with_auth.status_code, wrong_type.status_code, ok.status_code) == (400, 403, 200)
    assert public.content == data and public.headers["content-type"] == "image/png"
    assert sandbox.stats.uploads == 1

    foreign = [{"type": "image_url", "image_url": "https://cdn.example.com/a.png"}]
    await submit(client, input_images=ref + foreign)


async def test_idempotency(sandbox, client):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    rejected = await client.post("/nano-banana", json={"prompt": ""}, headers=key)
    assert rejected.status_code == 422  # did not consume the key
    first = await client.post("/nano-banana", content=json.dumps({"prompt": "p", "num_images": 1}), headers=key)
    sandbox.complete_now(first.json()["request_id"])
    again = await client.post("/nano-banana", content=json.dumps({"num_images": 1, "prompt": "p"}), headers=key)
    assert again.status_code == 200
    assert again.json()["request_id"] == first.json()["request_id"]
    assert again.json()["status"] == "completed"
    assert len(sandbox.requests) == sandbox.stats.submits == 1
    other = await client.post("/nano-banana", json={"prompt": "q"}, headers=key)
    assert other.status_code == 422
    bad = await client.post("/nano-banana", json={"prompt": "p"}, headers={"Idempotency-Key": "has space"})
    assert bad.status_code == 422


async def test_concurrency_limit_and_cancel_frees_slot(sandbox, client):
    sandbox.options.service_time = 30
    key = {"Idempotency-Key": "slot-0"}
    jobs = [(await client.post("/nano-banana", json={"prompt": f"j{i}"}, headers=key if i == 0 else {})).json()
            for i in range(4)]
    full = await client.post("/nano-banana", json={"prompt": "fifth"})
    assert (full.status_code, full.json()) == (
        400, {"detail": "Maximum number of concurrent requests (4) has been reached"})
    replay = await client.post("/nano-banana", json={"prompt": "j0"}, headers=key)
    assert replay.json()["request_id"] == jobs[0]["request_id"]  # a replay takes no slot
    assert (await client.post(jobs[1]["cancel_url"])).status_code == 202
    await submit(client, prompt="fifth")
    assert sandbox.stats.submits == 5


async def test_webhook_delivered_after_a_retry(sandbox, client):
    received: list[dict] = []
    done = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        if len(received) == 1:
            return web.Response(status=500)
        done.set()
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
        job = (await client.post("/nano-banana", params={"hf_webhook": url}, json={"prompt": "hook"})).json()
        assert sandbox.requests[job["request_id"]].webhook == url
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await runner.cleanup()
    assert received[0] == received[1] == (await client.get(job["status_url"])).json()
    assert received[1]["status"] == "completed" and received[1]["images"]
    assert sandbox.stats.webhook_deliveries == 1


async def test_estimate_charges_nothing(sandbox, client):
    response = await client.post("/estimate/nano-banana", json={"prompt": "x"})
    assert response.json() == {"credits": "1.500", "usd": "0.094"}
    assert (await client.post("/estimate/nano-banana", json={"prompt": 3})).status_code == 422
    assert sandbox.requests == {}


async def test_applications_and_reference_fields(sandbox, client):
    sandbox.options.applications = {
        "nano-banana": AppSpec(),
        "bytedance/seedream/v4.5/edit": AppSpec(reference_field="image_urls", max_references=2),
    }
    unknown = await client.post("/nano-banana-2", json={"prompt": "x"})
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Model not found"})
    assert (await client.post("/requests/x/status", json={"prompt": "x"})).json() == {"detail": "Not Found"}
    edit = "/bytedance/seedream/v4.5/edit"
    urls = ["https://example.com/1.png", "https://example.com/2.png"]
    await submit(client, path=edit, image_urls=urls)
    wrong_field = await client.post(edit, json={"prompt": "x", "input_images": [
        {"type": "image_url", "image_url": urls[0]}]})
    assert wrong_field.json()["detail"][0]["type"] == "extra_forbidden"
    too_many = await client.post(edit, json={"prompt": "x", "image_urls": urls * 2})
    assert too_many.json()["detail"][0]["loc"] == ["body", "image_urls"]
    assert (await client.post("/nano-banana", json={"prompt": "x", "image_urls": urls})).status_code == 422
    assert (await client.post("/nano-banana", content=b"{not json")).status_code == 422


async def test_official_sdk_unmodified(sandbox):
    higgsfield_client = pytest.importorskip("higgsfield_client")
    sdk = higgsfield_client.AsyncClient(base_url=sandbox.base_url, api_key="sandbox:sandbox-secret")
    try:
        result = await sdk.subscribe("nano-banana", {"prompt": "sdk cat [sandbox:server_error]"})
        assert result["status"] == "completed"
        png = render_png("upload", "1:1", 16)
        public_url = await sdk.upload(png, "image/png")
        async with httpx.AsyncClient() as plain:
            image = await plain.get(result["images"][0]["url"])
            uploaded = await plain.get(public_url)
        assert Image.open(io.BytesIO(image.content)).format == "PNG"
        assert uploaded.content == png
        assert sandbox.stats.uploads == 1
    finally:
        await sdk._client.aclose()
        await sdk._upload_client.aclose()


async def test_result_file_faults_503s_resets_gone_and_an_outage(sandbox, client):
    """The result host's faults: N 503s then N dropped connections (half a body each) per file,
    410 for a deleted result, and an outage (connections refused) that keeps every request."""
    sandbox.options.result_failures, sandbox.options.result_resets = 2, 1
    body, _ = await wait_for(client, (await submit(client, num_images=2))["status_url"], {"completed"})
    first, second = (image["url"] for image in body["images"])
    assert [(await client.get(first)).status_code for _ in range(2)] == [503, 503]
    assert (await client.get(second)).status_code == 503  # counted per file
    with pytest.raises(httpx.RemoteProtocolError):  # the announced length never arrives
        await client.get(first)
    served = await client.get(first)
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).format == "PNG"

    gone, _ = await wait_for(client, (await submit(client, "[sandbox:result_gone]"))["status_url"], {"completed"})
    response = await client.get(gone["images"][0]["url"])
    assert response.status_code == 410 and "expired" in response.json()["detail"]

    await sandbox.go_offline()
    async with httpx.AsyncClient(headers=AUTH, timeout=5) as fresh:
        with pytest.raises(httpx.ConnectError):
            await fresh.get(body["status_url"])
        await sandbox.go_online()  # (connections open before the outage were dropped)
        assert (await fresh.get(body["status_url"])).json()["status"] == "completed"
        assert (await fresh.get(second)).status_code == 503  # its second failure: state survived
