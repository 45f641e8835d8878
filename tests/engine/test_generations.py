"""The generation service end to end: real HTTP to the sandbox on loopback, a real database."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import textwrap
from dataclasses import replace

import pytest
from PIL import Image

from higgsctl.engine import Engine, GenerationRequest, InsufficientCredits, InvalidInput
from higgsctl.engine.models import Generation
from higgsctl.launch import sandbox_options, settings_for_sandbox
from higgsctl.sandbox import Sandbox


def fast(settings, sandbox, **higgsfield):
    """Settings pointed at ``sandbox``, polling every 0.05-0.1 s (fixtures in conftest.py)."""
    s = settings_for_sandbox(settings, sandbox)
    return replace(s, higgsfield=replace(s.higgsfield, poll_initial=0.05, poll_max=0.1, **higgsfield))


def png(tmp_path, name="ref.png", size=(64, 48)):
    path = tmp_path / name
    Image.new("RGB", size, "red").save(path)
    return path


async def test_happy_path_with_references_stores_result_and_captures(gen_engine, sandbox, tmp_path):
    events = []
    refs = (png(tmp_path, "a.png"), png(tmp_path, "b.png"))
    request = GenerationRequest(1, "seedream-4.5", "a  red\n fox", "16:9", references=refs)
    generation = await gen_engine.generations.run(request, events.append)

    assert generation.status == "completed" and generation.charge == "captured"
    assert generation.prompt == "a red fox"
    assert [e.status for e in events][-2:] == ["downloading", "completed"]
    assert "uploading" in [e.status for e in events]
    result = gen_engine.store.inside(generation.result_files[0])
    with Image.open(result) as image:
        assert image.format == "PNG" and image.width > image.height
    # References went through the upload flow and the edit application, as image_urls.
    record = sandbox.requests[generation.request_id]
    assert record.application == "bytedance/seedream/v4.5/edit"
    assert len(record.body["image_urls"]) == 2 and sandbox.stats.uploads == 2
    assert gen_engine.credits.balance(1) == 9950
    assert gen_engine.credits.discrepancies() == []


@pytest.mark.parametrize("fault, status, code", [
    ("nsfw", "nsfw", "nsfw"), ("failed", "failed", "upstream_failed"), ("credits", "failed", "service_credits"),
])
async def test_every_failure_releases_the_hold(gen_engine, fault, status, code):
    generation = await gen_engine.generations.run(GenerationRequest(1, "nano-banana", f"x [sandbox:{fault}]", "1:1"))
    assert (generation.status, generation.charge, generation.error_code) == (status, "released", code)
    assert gen_engine.credits.balance(1) == 10000
    reasons = [e.reason for e in gen_engine.credits.ledger(1)]
    assert reasons == ["release", "hold", "signup"]
    assert gen_engine.credits.discrepancies() == []


async def test_timeout_releases_and_cancels_when_still_queued(settings, sandbox):
    engine = Engine(fast(settings, sandbox, generation_timeout=0.5))
    engine.users.register(1)
    generation = await engine.generations.run(GenerationRequest(1, "nano-banana", "slow [sandbox:timeout]", "1:1"))
    assert (generation.status, generation.charge, generation.error_code) == ("timed_out", "released", "timed_out")
    assert engine.credits.balance(1) == 10000
    await engine.aclose()


async def test_cancel_while_queued_releases(gen_engine, sandbox):
    sandbox.options.service_time = 30
    queued = asyncio.Event()
    generation = await gen_engine.generations.create(GenerationRequest(1, "nano-banana", "cancel me", "1:1"))
    task = asyncio.create_task(
        gen_engine.generations.execute(generation.id, lambda e: queued.set() if e.status == "queued" else None)
    )
    await asyncio.wait_for(queued.wait(), 5)
    assert await gen_engine.generations.cancel(generation.id) is True
    final = await asyncio.wait_for(task, 5)
    assert (final.status, final.charge, final.error_code) == ("canceled", "released", "canceled")
    assert sandbox.stats.cancels == 1
    assert gen_engine.credits.balance(1) == 10000


async def test_interrupting_a_queued_job_cancels_upstream_and_releases(gen_engine, sandbox):
    """What Ctrl-C in the CLI does: the task running the job is cancelled."""
    sandbox.options.service_time = 30
    queued = asyncio.Event()
    task = asyncio.create_task(gen_engine.generations.run(
        GenerationRequest(1, "nano-banana", "interrupt me", "1:1"),
        lambda e: queued.set() if e.status == "queued" else None,
    ))
    await asyncio.wait_for(queued.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    generation = Generation.get()
    assert (generation.status, generation.charge, generation.error_code) == ("canceled", "released", "canceled")
    assert sandbox.stats.cancels == 1
    assert gen_engine.credits.balance(1) == 10000


@pytest.mark.parametrize(
    "request_fields, message",
    [
        ({"model": "dall-e"}, "Unknown model 'dall-e'"),
        ({"aspect_ratio": "5:4"}, "does not offer aspect ratio '5:4'"),
        ({"prompt": "   "}, "The prompt is empty"),
        ({"prompt": "x" * 2001}, "the limit is 2000"),
    ],
)
async def test_bad_input_is_refused_before_any_credit_moves(gen_engine, request_fields, message):
    fields = {"user_id": 1, "model": "nano-banana", "prompt": "ok", "aspect_ratio": "1:1", **request_fields}
    with pytest.raises(InvalidInput) as info:
        await gen_engine.generations.create(GenerationRequest(**fields))
    assert message in info.value.message
    assert gen_engine.credits.balance(1) == 10000 and Generation.select().count() == 0


async def test_bad_references_are_refused(gen_engine, tmp_path, settings):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"0" * (settings.limits.max_reference_mb * 1024 * 1024 + 1))
    too_many = tuple(png(tmp_path, f"{i}.png") for i in range(9))
    cases = [((text,), "is not an image"), ((big,), "the limit is 10 MB"),
             (too_many, "at most 8 reference photos"), ((tmp_path / "missing.png",), "does not exist")]
    for refs, message in cases:
        with pytest.raises(InvalidInput) as info:
            await gen_engine.generations.create(GenerationRequest(1, "nano-banana", "p", "1:1", references=refs))
        assert message in info.value.message
    assert gen_engine.credits.balance(1) == 10000


@pytest.mark.usefixtures("database_url")
async def test_fifty_concurrent_generations_never_overdraw(settings, database_url):
    """One user, balance for 7 images, 50 generations at once: 7 run, 43 refused, books balance."""
    async with Sandbox(sandbox_options(settings, service_time=0.2, concurrency_limit=None)) as sb:
        base = fast(replace(settings, database_url=database_url), sb, max_concurrent=50)
        engine = Engine(base)
        engine.users.register(1)
        engine.credits.grant(1, 1, actor="test")
        from higgsctl.engine.models import LedgerEntry, User, database

        with database.obj.atomic():  # balance 351 through the ledger
            LedgerEntry.create(user=1, amount=351 - 10001, reason="grant", actor="test")
            User.update(balance=351).where(User.id == 1).execute()

        async def one(i):
            try:
                return await engine.generations.run(GenerationRequest(1, "nano-banana", f"image {i}", "1:1"))
            except InsufficientCredits:
                return None

        results = await asyncio.gather(*(one(i) for i in range(50)))
        done = [g for g in results if g is not None]
        assert len(done) == 7 and all(g.status == "completed" and g.charge == "captured" for g in done)
        assert engine.credits.balance(1) == 1
        assert engine.credits.discrepancies() == []
        assert sb.stats.submits == 7
        await engine.aclose()


CRASHING_CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from dataclasses import replace
    from higgsctl.engine import Engine, GenerationRequest, load_settings
    s = load_settings()
    s = replace(s, higgsfield=replace(s.higgsfield, base_url=sys.argv[1], api_key="sandbox",
                api_secret="sandbox-secret", poll_initial=0.05, poll_max=0.1))
    engine = Engine(s)
    engine.users.register(1)

    def on_event(event):
        if event.status == sys.argv[2]:
            os._exit(17)  # the process dies: no cleanup, no finally, no cancel

    asyncio.run(engine.generations.run(GenerationRequest(1, "nano-banana", "crash test", "1:1"), on_event))
    """
)


@pytest.mark.parametrize("die_at", ["pending", "queued"])
async def test_resume_after_a_crash_finishes_once(settings, sandbox, die_at):
    """A process dies before or after submitting; the next process resumes the job from the
    database: one upstream request, one hold, one capture, one result."""
    sandbox.options.service_time = 0.5
    child = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", CRASHING_CHILD, sandbox.base_url, die_at], timeout=60,
    )
    assert child.returncode == 17
    engine = Engine(fast(settings, sandbox))
    [leftover] = engine.generations.unfinished()
    assert leftover.charge == "held" and engine.credits.balance(1) == 9950

    tasks = await engine.generations.resume_unfinished()
    [generation] = await asyncio.gather(*tasks)
    assert (generation.status, generation.charge) == ("completed", "captured")
    assert engine.store.inside(generation.result_files[0]).exists()
    assert sandbox.stats.submits == 1
    assert engine.credits.balance(1) == 9950
    assert engine.credits.discrepancies() == []
    # A second resume (another restart) finds nothing to do and charges nothing.
    assert await engine.generations.resume_unfinished() == []
    assert engine.credits.balance(1) == 9950
    await engine.aclose()


async def test_lost_submit_response_is_recovered_with_the_same_idempotency_key(gen_engine, sandbox):
    """The submit reached Higgsfield but the process died before saving request_id: the
    resumed submit carries the same Idempotency-Key and gets the original request back."""
    generation = await gen_engine.generations.create(GenerationRequest(1, "nano-banana", "lost", "1:1"))
    spec = gen_engine.settings.model("nano-banana")
    first = await gen_engine.generations.client.submit(
        spec.application, spec.arguments_for("lost", "1:1", []), idempotency_key=generation.idempotency_key
    )
    final = await gen_engine.generations.execute(generation.id)
    assert final.request_id == first.request_id and final.status == "completed"
    assert sandbox.stats.submits == 1 and sandbox.stats.replays == 1


async def test_server_errors_and_malformed_status_are_retried(gen_engine):
    for fault in ("server_error", "malformed"):
        generation = await gen_engine.generations.run(GenerationRequest(1, "nano-banana", f"[sandbox:{fault}]", "1:1"))
        assert generation.status == "completed", generation.error


async def test_max_concurrent_queues_locally_instead_of_failing(settings):
    async with Sandbox(sandbox_options(settings, service_time=0.2, concurrency_limit=2)) as sb:
        engine = Engine(fast(settings, sb, max_concurrent=2))
        engine.users.register(1)
        results = await asyncio.gather(*(
            engine.generations.run(GenerationRequest(1, "nano-banana", f"q{i}", "1:1")) for i in range(6)
        ))
        assert [g.status for g in results] == ["completed"] * 6
        assert sb.stats.submit_attempts == 6  # never rejected by the account limit
        await engine.aclose()


async def test_result_downloads_are_real_png(gen_engine):
    generation = await gen_engine.generations.run(GenerationRequest(1, "nano-banana", "check bytes", "9:16"))
    data = gen_engine.store.inside(generation.result_files[0]).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.height > image.width


async def test_cancel_while_waiting_for_a_local_slot(settings, sandbox):
    """All of the account's slots are busy: a job waiting locally can still be cancelled."""
    sandbox.options.service_time = 30
    engine = Engine(fast(settings, sandbox, max_concurrent=1))
    engine.users.register(1)
    busy_queued, slot_wait = asyncio.Event(), asyncio.Event()
    busy = asyncio.create_task(engine.generations.run(
        GenerationRequest(1, "nano-banana", "busy", "1:1"), lambda e: e.status == "queued" and busy_queued.set()))
    await asyncio.wait_for(busy_queued.wait(), 5)
    waiting = await engine.generations.create(GenerationRequest(1, "nano-banana", "waits", "1:1"))
    task = asyncio.create_task(engine.generations.execute(
        waiting.id, lambda e: e.code == "in_line" and slot_wait.set()))
    await asyncio.wait_for(slot_wait.wait(), 5)
    assert await engine.generations.cancel(waiting.id) is True
    final = await asyncio.wait_for(task, 5)
    assert (final.status, final.charge, final.request_id) == ("canceled", "released", None)
    assert final.error_code == "canceled"
    busy.cancel()
    with pytest.raises(asyncio.CancelledError):
        await busy
    assert engine.credits.balance(1) == 10000
    await engine.aclose()


async def test_references_move_to_used_once_paid_for(gen_engine, settings):
    """As in the old bot: a user's uploads wait in last_uploads and move to used when a
    generation takes them; the job still finds them (also when the record lags the move)."""
    store = gen_engine.store
    uploads = [store.save_upload(1, png(store.root.parent, f"r{i}.png").read_bytes(), f"r{i}.png") for i in range(2)]
    generation = await gen_engine.generations.create(
        GenerationRequest(1, "nano-banana", "with refs", "1:1", references=tuple(uploads)))
    assert all("/used/" in r for r in generation.references)
    assert list(store.user_dir(1, "last_uploads").iterdir()) == []
    # A crash between the move and the record update: the recorded last_uploads path is stale.
    stale = [r.replace("/used/", "/last_uploads/") for r in generation.references]
    assert store.locate(stale[0]) == store.inside(generation.references[0])
    done = await gen_engine.generations.execute(generation.id)
    assert done.status == "completed"


async def test_interrupt_while_the_account_refuses_submits_releases(settings, sandbox):
    """Every submit is refused ("concurrency limit"): nothing exists upstream, so Ctrl-C /
    SIGTERM must cancel the job and release its hold rather than keep it for a resume."""
    engine = Engine(fast(settings, sandbox))
    engine.users.register(1)
    sandbox.options.fault = "concurrency"
    generation = await engine.generations.create(GenerationRequest(1, "nano-banana", "refused", "1:1"))
    task = asyncio.create_task(engine.generations.execute(generation.id))
    async with asyncio.timeout(10):
        while sandbox.stats.submit_attempts < 2:
            await asyncio.sleep(0.02)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    row = engine.generations.get(generation.id)
    assert (row.status, row.charge, len(sandbox.requests)) == ("canceled", "released", 0)
    await engine.aclose()


async def test_a_resume_never_resubmits_a_job_a_live_process_is_driving(settings, sandbox, tmp_path):
    """Process B resumes a job that process A waits to submit: A must follow B's request,
    not re-upload and re-submit (which Higgsfield refuses with 422 for a changed body)."""
    s = fast(settings, sandbox)
    a, b = Engine(s), Engine(s)  # two processes on one database
    a.users.register(1)
    generation = await a.generations.create(GenerationRequest(
        1, "seedream-4.5", "shared", "1:1", references=(png(tmp_path),), source="cli"))
    a.generations.slots.resize(0)  # A's slots are busy with other jobs
    waiting = asyncio.Event()
    job_a = asyncio.create_task(a.generations.execute(
        generation.id, lambda e: e.code == "in_line" and waiting.set()))
    await asyncio.wait_for(waiting.wait(), 5)
    [job_b] = await b.generations.resume_unfinished(source="cli")
    async with asyncio.timeout(10):
        while b.generations.get(generation.id).request_id is None:
            await asyncio.sleep(0.02)
    a.generations.slots.resize(1)  # A goes on with this job
    ra, rb = await asyncio.gather(job_a, job_b)
    assert (ra.status, rb.status) == ("completed", "completed")
    assert sandbox.stats.submits == 1 and sandbox.stats.uploads == 1
    assert a.credits.balance(1) == 9950 and a.credits.discrepancies() == []
    await a.aclose()
    await b.aclose()
