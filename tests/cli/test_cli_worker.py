"""`higgsctl generate --queue` leaves jobs to workers; `higgsctl worker` runs them and, on
SIGTERM, stops and hands back what it drives."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from higgsctl.engine import Engine, load_settings
from higgsctl.engine.models import Generation


def configure(home, sandbox) -> None:
    (home / "config.toml").write_text(
        f'[higgsfield]\nbase_url = "{sandbox.base_url}"\napi_key = "hf-key-id"\napi_secret = "hf-secret-value-123"\n'
        "poll_initial = 0.05\npoll_max = 0.1\n")


def test_queued_jobs_are_run_by_a_worker_that_stops_cleanly(cli, home, sandbox_server):
    configure(home, sandbox_server)
    queued = cli("generate", "a city of glass", "--count", "3", "--queue", "--yes", "--json")
    assert queued.exit_code == 0, queued.output
    ids = queued.json()["queued"]
    assert len(ids) == 3 and "higgsctl worker" in queued.stderr
    engine = Engine(load_settings())
    try:
        rows = list(Generation.select().where(Generation.id.in_(ids)))
        assert {(g.status, g.charge, g.lease_owner) for g in rows} == {("pending", "held", None)}
        worker = subprocess.Popen([sys.executable, "-c", "from higgsctl.cli import main; main()", "worker"],
                                  env={**os.environ, "HIGGSCTL_HOME": str(home)}, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while Generation.select().where(Generation.id.in_(ids) & (Generation.status == "completed")).count() < 3:
            assert time.monotonic() < deadline and worker.poll() is None, worker.stderr.read() if worker.poll() else ""
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
        assert worker.returncode == 0 and "handed back" in err
        assert {g.charge for g in Generation.select().where(Generation.id.in_(ids))} == {"captured"}
    finally:
        engine.close()


def test_queue_and_sandbox_do_not_go_together(cli, home):
    result = cli("generate", "x", "--queue", "--sandbox", "--yes")
    assert result.exit_code == 2 and "--queue leaves the jobs to workers" in result.stderr
