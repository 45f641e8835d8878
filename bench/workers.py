"""Benchmark: several processes on one PostgreSQL database share one Higgsfield account.

Two `higgsctl worker` processes and a worker in this process run a backlog of queued jobs
against one sandbox (in this process, so it can record the peak of requests in flight) with
the account's limit at 20; one worker is killed with SIGKILL mid-run. Prints the peak in
flight against the limit, the takeover time (the kill → the first of its jobs driven again
elsewhere), the wall time, whether every job completed once and the books balance.

    .venv/bin/python -m bench.workers [--jobs 300] [--limit 20] [--database postgresql://...]
Without --database it creates (and drops) a database on the local PostgreSQL server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path


def spawn_worker(home: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from higgsctl.cli import main; main()", "worker", "--jobs", "60"],
                            env={**os.environ, "HIGGSCTL_HOME": str(home)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


async def run(args, home: Path) -> dict:
    from higgsctl.engine import GenerationRequest, load_settings
    from higgsctl.engine.generations.worker import Worker
    from higgsctl.engine.leases import process_name
    from higgsctl.engine.models import Generation
    from higgsctl.launch import open_engine, sandbox_options
    from higgsctl.sandbox import Sandbox

    async with Sandbox(sandbox_options(load_settings(), service_time=args.service_time, concurrency_limit=None)) as sb:
        (home / "config.toml").write_text(
            f'[higgsfield]\nbase_url = "{sb.base_url}"\napi_key = "sandbox"\napi_secret = "sandbox-secret"\n'
            f"max_concurrent = {args.limit}\npoll_initial = 0.25\npoll_max = 0.25\nlease_seconds = {args.lease}\n"
            f'[database]\nurl = "{args.database}"\n[credits]\ninitial = 100000000\n')
        async with open_engine(load_settings()) as engine:
            for uid in range(1, 21):
                engine.users.register(uid)
            for n in range(args.jobs):
                await engine.generations.create_batch(GenerationRequest(
                    user_id=1 + n % 20, model="nano-banana", prompt=f"bench {n}", aspect_ratio="1:1"), lease=False)
            start = time.monotonic()
            doomed, survivor = spawn_worker(home), spawn_worker(home)
            engine.generations.leases.owner = process_name("worker", unique=True) + ":bench"
            stopped = asyncio.Event()
            here = asyncio.create_task(Worker(engine.generations, capacity=60).run(stopped))

            def count(query) -> int:
                return Generation.select().where(query).count()

            while count(Generation.lease_owner.endswith(f":{doomed.pid}") & Generation.submitted_at.is_null(False)) < 5:
                await asyncio.sleep(0.05)
            doomed_jobs = [g.id for g in Generation.select(Generation.id).where(
                Generation.lease_owner.endswith(f":{doomed.pid}") & (Generation.status != "completed"))]
            doomed.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await asyncio.to_thread(doomed.wait, 10)
            takeover = None
            while count(Generation.status != "completed") > 0:
                if takeover is None and count(Generation.id.in_(doomed_jobs)
                                              & ~Generation.lease_owner.endswith(f":{doomed.pid}")):
                    takeover = time.monotonic() - killed_at
                await asyncio.sleep(0.05)
            wall = time.monotonic() - start
            stopped.set()
            await here
            survivor.send_signal(signal.SIGTERM)
            await asyncio.to_thread(survivor.wait, 60)
            rows = list(Generation.select())
            return {"wall": wall, "takeover": takeover, "doomed_jobs": len(doomed_jobs), "peak": sb.stats.peak_active,
                    "submits": sb.stats.submits, "replays": sb.stats.replays,
                    "completed": sum(g.status == "completed" for g in rows),
                    "captured": sum(g.charge == "captured" for g in rows), "books": engine.credits.discrepancies()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--service-time", type=float, default=2.0)
    parser.add_argument("--lease", type=float, default=10.0, help="[higgsfield] lease_seconds")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh database on 127.0.0.1)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="higgsctl-workers-"))
    os.environ["HIGGSCTL_HOME"] = str(home)
    created = None
    if not args.database:
        import psycopg2

        created = f"higgsctl_bench_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect("dbname=test host=127.0.0.1 user=postgres")
        admin.autocommit = True
        admin.cursor().execute(f"CREATE DATABASE {created}")
        args.database = f"postgresql://postgres@127.0.0.1:5432/{created}"
    try:
        out = asyncio.run(run(args, home))
    finally:
        if created:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {created} WITH (FORCE)")
    print(f"processes            3 workers (2 `higgsctl worker`, 1 here), PostgreSQL")
    print(f"jobs                 {args.jobs} ({out['completed']} completed, {out['captured']} charged once)")
    print(f"account limit        {args.limit}; peak in flight at the sandbox {out['peak']}"
          f"   ({'held' if out['peak'] <= args.limit else 'EXCEEDED'})")
    print(f"submitted upstream   {out['submits']} requests ({out['replays']} idempotent replays)")
    print(f"killed worker        SIGKILL while it drove {out['doomed_jobs']} jobs; first taken over after "
          f"{out['takeover']:.1f} s (lease {args.lease:g} s)")
    print(f"wall time            {out['wall']:.1f} s at {args.service_time:g} s a job "
          f"(ideal {args.jobs / args.limit * args.service_time:.1f} s)")
    print(f"books balance        {'yes' if not out['books'] else out['books']}")


if __name__ == "__main__":
    main()
