"""Three processes on one database share the work and the account (SQLite on one machine,
and PostgreSQL): two `higgsctl worker` processes and a worker in this process run 30 queued
jobs against one sandbox; one worker is killed with SIGKILL mid-run and the others take its
jobs over once its leases run out. The account's limit is never exceeded (the sandbox records
the peak in flight), nothing is submitted twice, every job is charged once, the books balance."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from higgsctl.engine import GenerationRequest
from higgsctl.engine.generations.worker import Worker
from higgsctl.engine.leases import process_name
from higgsctl.engine.models import Generation, utcnow
from higgsctl.launch import open_engine, sandbox_options, settings_for_sandbox
from higgsctl.sandbox import Sandbox
from tests.waiting import eventually

LIMIT, JOBS = 4, 30


def config(sandbox, database_url: str) -> str:
    return (f'[higgsfield]\nbase_url = "{sandbox.base_url}"\napi_key = "sandbox"\napi_secret = "sandbox-secret"\n'
            f"max_concurrent = {LIMIT}\npoll_initial = 0.05\npoll_max = 0.1\nlease_seconds = 3.0\n"
            f'[database]\nurl = "{database_url}"\n')


def spawn_worker(home) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from higgsctl.cli import main; main()", "worker", "--jobs", "10"],
                            env={**os.environ, "HIGGSCTL_HOME": str(home)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


async def test_three_processes_share_the_account_and_survive_a_kill(settings, home, database_url):
    async with Sandbox(sandbox_options(settings, service_time=0.8, concurrency_limit=None)) as sandbox:
        (home / "config.toml").write_text(config(sandbox, database_url))
        from higgsctl.engine import load_settings

        shared = load_settings()
        async with open_engine(shared) as engine:
            for uid in (1, 2, 3):
                engine.users.register(uid)
            for n in range(JOBS):
                await engine.generations.create_batch(GenerationRequest(
                    user_id=1 + n % 3, model="nano-banana", prompt=f"shared {n}", aspect_ratio="1:1"), lease=False)
            doomed = spawn_worker(home)

            def leased_to_doomed() -> int:
                return Generation.select().where(Generation.lease_owner.endswith(f":{doomed.pid}")
                                                 & Generation.submitted_at.is_null(False)).count()

            try:  # the doomed worker first, so it surely holds submitted jobs when it is killed
                await eventually(lambda: leased_to_doomed() >= 1, 60, "the doomed worker to submit a job")
            except TimeoutError:
                doomed.kill()
                raise AssertionError(doomed.communicate()[1][-3000:]) from None
            survivor = spawn_worker(home)
            engine.generations.leases.owner = process_name("worker", unique=True) + ":test"
            stopped = asyncio.Event()
            here = asyncio.create_task(Worker(engine.generations, capacity=10).run(stopped))
            try:
                doomed.send_signal(signal.SIGKILL)
                await asyncio.to_thread(doomed.wait, 10)
                try:
                    await eventually(lambda: Generation.select().where(Generation.status != "completed").count() == 0,
                                     60, "every job to complete")
                except TimeoutError:
                    left = [(g.id, g.status, g.lease_owner, g.lease_until, g.slot_held, g.request_id is not None)
                            for g in Generation.select().where(Generation.status != "completed")]
                    raise AssertionError(f"left (id, status, lease, until, slot, request): {left} at {utcnow()}") from None
            finally:
                stopped.set()
                await here
                survivor.send_signal(signal.SIGTERM)
                _, err = await asyncio.to_thread(survivor.communicate, timeout=60)
            assert survivor.returncode == 0, err[-2000:]
            rows = list(Generation.select())
            assert len(rows) == JOBS and {g.status for g in rows} == {"completed"}
            assert {g.charge for g in rows} == {"captured"} and engine.credits.discrepancies() == []
            assert len({g.request_id for g in rows}) == JOBS == sandbox.stats.submits  # never submitted twice
            assert sandbox.stats.peak_active <= LIMIT
            assert not any(g.slot_held for g in rows)
