"""`higgsctl db backup`: a consistent copy of the live SQLite database while another process
keeps writing money to it; refusals that protect the live file and existing backups; and a
restore by copying the file back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest

from higgsctl.engine.models import LedgerEntry, utcnow

WRITER = """
import sys
from higgsctl.engine import Engine, load_settings
engine = Engine(load_settings())
print("ready", flush=True)
n = 0
while True:  # grants land in the ledger and the balance in one transaction each
    engine.credits.grant(1 + n % 5, 1, actor="test:writer")
    n += 1
"""


def ledger_rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute('SELECT count(*) FROM "ledger_entry"').fetchone()[0]


def test_a_backup_taken_while_another_process_writes_is_one_consistent_moment(cli, engine, home, tmp_path):
    for uid in range(1, 6):
        engine.users.register(uid)
    writer = subprocess.Popen([sys.executable, "-c", WRITER], env={**os.environ, "HIGGSCTL_HOME": str(home)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        copies = []
        for n in range(3):  # the writer's transactions land between and during the copies
            before = LedgerEntry.select().count()
            done = cli("db", "backup", tmp_path / f"copy-{n}.db", "--json")
            assert done.exit_code == 0, done.output
            copies.append((before, done.json(), LedgerEntry.select().count()))
    finally:
        writer.kill()
        writer.wait()
    assert copies[-1][2] > copies[0][0]  # the database did change while we copied
    for before, made, after in copies:
        assert made["books_balanced"] and before <= made["rows"]["ledger_entry"] <= after
        assert ledger_rows(made["path"]) == made["rows"]["ledger_entry"]
        checked = cli("db", "status", "--json", env={"HIGGSCTL_DATABASE_URL": f"sqlite:///{made['path']}"})
        assert checked.exit_code == 0 and checked.json()["books_balanced"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_backup_refuses_what_would_lose_data(cli, engine, home, tmp_path):
    engine.users.register(1)
    live = home / "higgsctl.db"
    (tmp_path / "link.db").symlink_to(live)
    refused = {
        "the live file": cli("db", "backup", live),
        "the live file, forced": cli("db", "backup", live, "--force"),
        "a link to the live file, forced": cli("db", "backup", tmp_path / "link.db", "--force"),
        "a folder": cli("db", "backup", tmp_path),
        "a missing folder": cli("db", "backup", tmp_path / "nope" / "x.db"),
    }
    for what, result in refused.items():
        assert result.exit_code == 2, what
    assert (tmp_path / "link.db").is_symlink() and engine.users.get(1)  # the live file was never replaced
    (tmp_path / "old.db").write_bytes(b"yesterday's backup")
    assert cli("db", "backup", tmp_path / "old.db").exit_code == 2
    assert (tmp_path / "old.db").read_bytes() == b"yesterday's backup"
    assert cli("db", "backup", tmp_path / "old.db", "--force").exit_code == 0
    assert ledger_rows(tmp_path / "old.db") == LedgerEntry.select().count()
    on_postgres = cli("db", "backup", tmp_path / "pg.db", env={"HIGGSCTL_DATABASE_URL": "postgresql://x@127.0.0.1/none"})
    assert on_postgres.exit_code == 2 and "pg_dump" in on_postgres.output


def run(home, *args: str) -> subprocess.CompletedProcess:
    """`higgsctl ARGS` as its own process, as an operator runs it."""
    return subprocess.run([sys.executable, "-c", "from higgsctl.cli import main; main()", *args],
                          env={**os.environ, "HIGGSCTL_HOME": str(home)}, capture_output=True, text=True, timeout=60)


def test_restore_puts_a_backup_back_and_keeps_what_it_replaced(cli, engine, home, tmp_path):
    engine.users.register(7)
    engine.credits.grant(7, 500, actor="test")
    balance = engine.users.get(7).balance
    assert cli("db", "backup", tmp_path / "b.db").exit_code == 0
    assert cli("db", "backup", tmp_path / "b #2?.db").exit_code == 0  # URI characters in the name
    engine.credits.grant(7, 1, actor="test")  # after the backup: undone by the restore
    engine.heartbeats.started("bot")  # the bot is up: a restore under it would lose its writes
    refused = run(home, "db", "restore", str(tmp_path / "b.db"))
    assert refused.returncode == 1 and "bot is up" in refused.stderr
    engine.heartbeats.stopped("bot")
    engine.close()
    (tmp_path / "junk.db").write_bytes(b"not a database at all")
    assert run(home, "db", "restore", str(tmp_path / "junk.db")).returncode == 2
    assert run(home, "db", "restore", str(tmp_path / "b #2?.db")).returncode == 0
    done = run(home, "db", "restore", str(tmp_path / "b.db"))
    assert done.returncode == 0, done.stderr
    # nothing written beside the backup: it may sit in a read-only folder or mount
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("b.db-")]
    shown = run(home, "credits", "show", "7", "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["balance"] == balance
    kept = home.glob("higgsctl.db.before-restore-*")
    assert run(home, "db", "status").returncode == 0
    balances = []
    for path in kept:  # what each restore replaced, the first one's with the last grant (within a second too)
        with sqlite3.connect(path) as old:
            balances.append(old.execute('SELECT balance FROM "user" WHERE id = 7').fetchone()[0])
    assert sorted(balances) == [balance, balance + 1]


def test_a_restore_never_replaces_the_database_an_earlier_restore_kept(cli, engine, home, tmp_path):
    """Two restores within one second (a script, an operator fixing a wrong pick) each keep what they replaced."""
    engine.users.register(7)
    assert cli("db", "backup", tmp_path / "b.db").exit_code == 0
    engine.close()
    now = utcnow()
    kept = [home / f"higgsctl.db.before-restore-{now + timedelta(seconds=s):%Y%m%d-%H%M%S}" for s in range(-1, 60)]
    for path in kept:  # whatever second the restore runs in, its name is taken already
        path.write_bytes(b"what an earlier restore replaced")
    done = run(home, "db", "restore", str(tmp_path / "b.db"))
    assert done.returncode == 0, done.stderr
    assert all(path.read_bytes() == b"what an earlier restore replaced" for path in kept)
    assert len(list(home.glob("higgsctl.db.before-restore-*"))) == len(kept) + 1
