"""Several processes starting at once on a fresh database: migrations run exactly once, under a
lock, while the others wait, then every process goes on (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

START = """
import os, sys, time
from higgsctl.engine import Engine, load_settings
go = float(sys.argv[1])
time.sleep(max(0.0, go - time.time()))  # every process opens the database at the same moment
engine = Engine(load_settings())
engine.users.register(int(sys.argv[2]))
engine.close()
print("ok")
"""


@pytest.mark.parametrize("processes", [8])
def test_processes_starting_together_migrate_once(database_url, home, processes):
    env = {**os.environ, "HIGGSCTL_HOME": str(home), "HIGGSCTL_DATABASE_URL": database_url}
    go = time.time() + 2.5  # after every interpreter has started and imported
    procs = [subprocess.Popen([sys.executable, "-c", START, str(go), str(n + 1)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for n in range(processes)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    failures = [err for code, _, err in results if code != 0]
    assert not failures, failures[0][-2000:]
    from higgsctl.engine.db import migration_runner, open_database

    db = open_database(database_url, migrate=False)
    applied = [m.name for m in migration_runner(db).status() if m.applied]
    assert len(applied) == len(set(applied)) == len(migration_runner(db).migrations())
    from higgsctl.engine.models import User

    assert User.select().count() == processes
