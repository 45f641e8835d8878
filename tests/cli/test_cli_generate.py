"""`higgsctl generate` end to end against the in-process sandbox, its refusals, and Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from higgsctl.cli import generate as generate_module
from higgsctl.cli.generate import run_jobs
from higgsctl.engine import Engine, GenerationRequest, HistoryFilter, load_settings
from higgsctl.launch import open_engine, sandbox_options
from higgsctl.sandbox import Sandbox

from .conftest import make_png

FAST = ("--sandbox", "--yes", "--sandbox-service-time", "0.6")


def generations(engine):
    return engine.history.list(HistoryFilter(limit=100))


def test_sandbox_generate_saves_real_png_and_charges_operator(cli, engine):
    start = engine.users.operator().balance
    result = cli("generate", "a red fox in fresh snow", "--sandbox", "--yes")
    assert result.exit_code == 0, result.output
    paths = result.stdout.splitlines()
    assert len(paths) == 1
    path = Path(paths[0])
    assert path.is_absolute() and path.is_file()
    with Image.open(path) as image:
        assert image.format == "PNG" and image.width > 0
    assert engine.credits.balance(0) == start - 50
    [g] = generations(engine)
    assert (g.status, g.charge, g.source, g.user_id) == ("completed", "captured", "cli", 0)
    assert "queued" in result.stderr and "completed" in result.stderr  # progress went to stderr
    assert "Balance 9950" in result.stderr


def test_count_three_runs_concurrently_with_refs_out_dir_and_json(cli, engine, png, tmp_path):
    out = tmp_path / "out"
    result = cli("generate", "logo ideas", "--count", "3", "--aspect", "16:9", "--ref", png, "--out", out, "--json", *FAST)
    assert result.exit_code == 0, result.output
    doc = result.json()
    assert len(doc["generations"]) == 3
    assert doc["credits_charged"] == 150
    assert doc["balance"] == engine.credits.balance(0) == 10000 - 150
    for g in doc["generations"]:
        assert set(g) == {"id", "request_id", "status", "model", "files", "cost", "charged", "error"}
        assert (g["status"], g["model"], g["cost"], g["charged"], g["error"]) == ("completed", "nano-banana", 50, True, None)
        [file] = g["files"]
        assert Path(file).parent == out.resolve()
        with Image.open(file) as image:
            assert image.format == "PNG" and image.width > image.height  # 16:9
    rows = generations(engine)
    assert len({g.request_id for g in rows}) == 3
    # Concurrent, not one after another: every job was submitted before any finished.
    assert max(g.submitted_at for g in rows) < min(g.finished_at for g in rows)
    assert all(len(g.references) == 1 for g in rows)


def test_nsfw_exits_5_and_releases_the_credits(cli, engine):
    start = engine.users.operator().balance
    result = cli("generate", "a portrait [sandbox:nsfw]", *FAST)
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "ended nsfw" in result.stderr and "50 credits released" in result.stderr
    assert engine.credits.balance(0) == start
    [g] = generations(engine)
    assert (g.status, g.charge) == ("nsfw", "released")


def test_failed_generation_json_still_printed(cli, engine):
    result = cli("generate", "x [sandbox:failed]", "--json", *FAST)
    assert result.exit_code == 5
    [g] = result.json()["generations"]
    assert (g["status"], g["charged"], g["files"]) == ("failed", False, [])
    assert result.json()["credits_charged"] == 0


def test_as_user_charges_that_users_balance(cli, engine):
    engine.users.register(4242, username="alice")
    operator = engine.users.operator().balance
    result = cli("generate", "a cat", "--as", "@alice", *FAST)
    assert result.exit_code == 0, result.output
    assert engine.credits.balance(4242) == 10000 - 50
    assert engine.credits.balance(0) == operator


def test_blocked_user_is_refused(cli, engine):
    engine.users.register(7, username="bob")
    engine.users.set_blocked(7, True)
    result = cli("generate", "a cat", "--as", "7", *FAST)
    assert result.exit_code == 5
    assert "blocked" in result.stderr
    assert generations(engine) == []


def test_insufficient_credits_refused_before_anything_is_held(cli, write_config):
    write_config("[credits]\ninitial = 60\n")
    result = cli("generate", "two cats", "--count", "2", *FAST)
    assert result.exit_code == 5
    assert "this costs 100, the balance is 60" in result.stderr
    engine = Engine(load_settings())
    try:
        assert engine.credits.balance(0) == 60 and generations(engine) == []
    finally:
        engine.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["a fox", "--as", "@nobody"], "No user @nobody"),
        (["a fox", "--as", "not-a-user"], "neither a Telegram id nor an @username"),
        (["a fox", "--aspect", "7:5"], "does not offer aspect ratio '7:5'"),
        (["a fox", "--model", "dall-e"], "Unknown model 'dall-e'"),
        (["   "], "The prompt is empty"),
        (["a fox", "--ref", "missing.png"], "does not exist"),
        (["a fox", "--style", "vaporwave"], "Unknown style 'vaporwave'"),
        (["a fox", "--option", "resolution=4K"], "Nano Banana has no option resolution=4K"),
        (["a fox", "-m", "seedream-4.5", "--option", "resolution=1K"], "has no option resolution=1K"),
        (["a fox", "--option", "resolution"], "is not NAME=VALUE"),
        (["a fox", "--option", "=4K"], "is not NAME=VALUE"),
    ],
)
def test_invalid_input_exits_2_and_holds_nothing(cli, engine, args, message):
    engine.users.operator()
    result = cli("generate", *args, *FAST)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert generations(engine) == [] and engine.credits.balance(0) == 10000


def test_a_style_and_options_reach_the_generation_and_the_styles_aspect_fits_the_model(cli, engine):
    result = cli("generate", "a tea house", "--style", "poster", "-m", "seedream-4.5",
                 "--option", "resolution=4K", "--json", *FAST)
    assert result.exit_code == 0, result.output
    [g] = generations(engine)
    assert g.prompt.startswith("a tea house, cinematic still") and g.style == "poster"
    assert g.options == {"resolution": "4K"} and g.aspect_ratio == "16:9"  # the style's aspect
    assert "Cinematic" in result.stderr  # the price line names the style
    styles = cli("styles", "--json").json()
    assert {s["name"] for s in styles} == {"photo", "anime", "oil", "pixel", "poster"}
    models = {m["key"]: m for m in cli("models", "--json").json()}
    assert models["seedream-4.5"]["options"] == {"resolution": ["2K", "4K"]}


def test_too_many_and_non_image_references(cli, engine, tmp_path):
    refs = [make_png(tmp_path / f"r{i}.png") for i in range(9)]
    too_many = cli("generate", "a fox", *[a for r in refs for a in ("--ref", r)], *FAST)
    assert too_many.exit_code == 2
    assert "at most 8 reference photos; 9 were given" in too_many.stderr
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    not_image = cli("generate", "a fox", "--ref", text, *FAST)
    assert not_image.exit_code == 2
    assert "is not an image" in not_image.stderr
    assert generations(engine) == []


def test_count_must_be_positive(cli):
    result = cli("generate", "a fox", "--count", "0", *FAST)
    assert result.exit_code == 2
    assert "--count" in result.stderr


def test_refuses_to_spend_without_yes_when_stdin_is_not_a_terminal(cli, engine):
    result = cli("generate", "a fox", "--sandbox")
    assert result.exit_code == 2
    assert "without confirmation: stdin is not a terminal" in result.stderr
    assert "--yes" in result.stderr
    assert generations(engine) == []


def test_interactive_confirmation_shows_price_and_can_be_declined(cli, engine, monkeypatch):
    monkeypatch.setattr(generate_module, "interactive", lambda: True)
    result = cli("generate", "a fox", "--count", "2", "--sandbox", input="n\n")
    assert result.exit_code == 1
    assert "2 × Nano Banana for 100 credits from @operator (0) (balance 10000)" in result.stderr
    assert "Nothing was spent" in result.stderr
    assert generations(engine) == []


def test_without_keys_and_without_sandbox_renders_the_engine_config_error(cli, engine):
    result = cli("generate", "a fox", "--yes")
    assert result.exit_code == 3
    assert "Error: No Higgsfield key" in result.stderr
    assert "--sandbox" in result.stderr  # the engine's hint
    assert generations(engine) == []


async def test_cancel_while_queued_cancels_upstream_and_releases_the_hold(settings):
    async with Sandbox(sandbox_options(settings, service_time=30.0)) as sb:
        async with open_engine(settings, sandbox=sb) as engine:
            start = (await asyncio.to_thread(engine.users.operator)).balance
            queued = asyncio.Event()
            seen = []

            def on_event(event):
                seen.append(event.status)
                if event.status == "queued":
                    queued.set()

            request = GenerationRequest(user_id=0, model="nano-banana", prompt="a slow fox", aspect_ratio="1:1")
            task = asyncio.create_task(run_jobs(engine, [request], on_event))
            await asyncio.wait_for(queued.wait(), timeout=10)
            assert await asyncio.to_thread(engine.credits.balance, 0) == start - 50  # held
            task.cancel()
            [generation], interrupted = await task
        assert interrupted
        assert (generation.status, generation.charge) == ("canceled", "released")
        assert generation.error == "interrupted while queued"
        assert seen[-1] == "canceled"
        assert sb.stats.cancels == 1
        assert sb.requests[generation.request_id].status == "canceled"
        assert engine.credits.balance(0) == start


async def test_cancel_before_submission_releases_the_holds(settings):
    async with Sandbox(sandbox_options(settings, service_time=30.0)) as sb:
        async with open_engine(settings, sandbox=sb) as engine:
            start = (await asyncio.to_thread(engine.users.operator)).balance
            request = GenerationRequest(user_id=0, model="nano-banana", prompt="a fox", aspect_ratio="1:1")
            task = asyncio.create_task(run_jobs(engine, [request, request], None))
            await asyncio.sleep(0)  # let it start creating the holds, then interrupt
            task.cancel()
            created, interrupted = await task
        assert interrupted and len(created) == 2
        assert all((g.status, g.charge) == ("canceled", "released") for g in created)
        assert sb.stats.submits == 0
        assert engine.credits.balance(0) == start


def test_ctrl_c_during_a_queued_generation(cli, engine, home):
    """A real SIGINT while the CLI's sandbox job is queued: exit 130, a summary, no credit lost."""
    start = engine.users.operator().balance
    fired = threading.Event()

    def interrupt_once_queued():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not fired.is_set():
            with contextlib.closing(sqlite3.connect(home / "higgsctl.db")) as db:
                try:
                    queued = db.execute("select count(*) from generation where status = 'queued'").fetchone()[0]
                except sqlite3.Error:
                    queued = 0
            if queued == 2:
                fired.set()
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.01)  # polling the condition

    watcher = threading.Thread(target=interrupt_once_queued)
    watcher.start()
    try:
        result = cli("generate", "a fox", "--count", "2", "--sandbox", "--yes", "--sandbox-service-time", "30")
    finally:
        fired.set()
        watcher.join()
    assert result.exit_code == 130, result.output
    assert "Interrupted: canceled 2 (credits released)" in result.stderr
    assert result.stdout == ""
    rows = generations(engine)
    assert [(g.status, g.charge, g.error) for g in rows] == [("canceled", "released", "interrupted while queued")] * 2
    assert engine.credits.balance(0) == start
    assert engine.credits.discrepancies() == []


def test_resume_finishes_a_job_an_earlier_run_left_open(cli, engine):
    """A CLI run was killed after holding the credits: `higgsctl resume` submits the job
    under its saved Idempotency-Key, follows it and charges it once."""
    import uuid

    operator = engine.users.operator()
    left = engine.generations.rows.hold(operator.id, 50, model="nano-banana", prompt="left open", aspect_ratio="1:1",
                               source="cli", idempotency_key=uuid.uuid4().hex)
    result = cli("resume", "--sandbox")
    assert result.exit_code == 0, result.stderr
    [path] = result.stdout.split()
    assert Image.open(path).format == "PNG"
    finished = engine.generations.get(left.id)
    assert (finished.status, finished.charge) == ("completed", "captured")
    assert engine.credits.balance(operator.id) == 9950
    assert cli("resume").stderr.strip() == "Nothing to resume."


def test_resume_refuses_while_a_generate_is_running(cli, settings):
    """Jobs a live `generate` drives are not taken over by `resume`."""
    import fcntl

    from higgsctl.engine import load_settings

    path = load_settings().data_dir / "cli-run.lock"
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)  # what a running `generate` holds
        result = cli("resume")
    assert result.exit_code == 2
    assert "still running" in result.stderr


def test_generate_runs_its_database_work_through_the_engine_door(cli, engine, monkeypatch):
    from tests.db_spy import record_statement_threads

    threads = record_statement_threads(monkeypatch)
    assert cli("generate", "a fox", *FAST).exit_code == 0
    # the synchronous checks before the run, then one door thread: never asyncio.to_thread's
    assert set(threads) == {"MainThread", "higgsctl-db_0"}


def test_jobs_waiting_for_a_slot_show_their_place_in_line(cli, engine, write_config):
    write_config("[higgsfield]\nmax_concurrent = 1\n")
    result = cli("generate", "three foxes", "--count", "3", *FAST)
    assert result.exit_code == 0, result.output
    first, second, third = sorted(g.id for g in generations(engine))
    lines = result.stderr.splitlines()
    assert f"generation #{second}: 1st in line" in lines  # nothing measured yet: no estimate
    assert f"generation #{third}: 2nd in line" in lines
    # When its turn comes the third is 1st, with an estimate from the first job's measured time.
    assert any(line.startswith(f"generation #{third}: 1st in line, about ") and line.endswith(" s") for line in lines)
    assert not any(line.startswith(f"generation #{first}: ") and "in line" in line for line in lines)
