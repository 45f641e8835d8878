"""A consistent copy of the live SQLite database, taken while the bot runs.

sqlite3's online backup copies the pages in steps and starts over when a writer changes them
meanwhile, so the copy is one moment of the database, never half of a transaction; writers
wait only for the step in progress. The copy is written beside its destination, checked
(``PRAGMA integrity_check``, and every balance against its ledger) and only then renamed into
place, so a backup that exists is whole. A restore puts a checked backup in place of the
file, keeping the one it replaces. PostgreSQL has pg_dump and pg_restore for this.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from peewee import SqliteDatabase

from .errors import HiggsctlError, InvalidInput
from .heartbeat import STALE
from .models import utcnow

STEP_PAGES = 256  # pages a step copies before writers get the database back
UNBALANCED = ('SELECT count(*) FROM (SELECT u.id FROM "user" u LEFT JOIN "ledger_entry" l ON l.user_id = u.id '
              "GROUP BY u.id, u.balance HAVING COALESCE(SUM(l.amount), 0) != u.balance)")
COUNTED = ("user", "generation", "ledger_entry", "payment")


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int
    rows: dict[str, int]
    unbalanced_users: int  # as in the live database at that moment: `db status` says which


def backup_sqlite(db: SqliteDatabase, dest: Path, *, overwrite: bool = False) -> Backup:
    # db.database is a "file:...?mode=rw" URI for our files (db.SqliteFileDatabase): compare paths
    live = Path(getattr(db, "path", db.database)).resolve()
    dest = dest.expanduser().resolve()
    if dest == live:
        raise InvalidInput(f"{dest} is the live database itself.")
    if dest.is_dir():
        raise InvalidInput(f"{dest} is a folder: give the backup's file name.")
    if dest.exists() and not overwrite:
        raise InvalidInput(f"{dest} exists already.", hint="Choose another name, or pass --force to replace it.")
    if not dest.parent.is_dir():
        raise InvalidInput(f"The folder {dest.parent} does not exist.")
    tmp = dest.with_name(f".{dest.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        copy = sqlite3.connect(tmp)
        try:
            db.connection().backup(copy, pages=STEP_PAGES)
            problem = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if problem != "ok":
                raise HiggsctlError(f"The copy failed SQLite's integrity check: {problem}.")
            rows = {table: copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in COUNTED}
            unbalanced = copy.execute(UNBALANCED).fetchone()[0]
        finally:
            copy.close()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return Backup(dest, dest.stat().st_size, rows, unbalanced)


def restore_sqlite(live: Path, source: Path, *, ignore_live_processes: bool = False) -> Path:
    """Put the backup ``source`` in place of the database file ``live``; the database it
    replaces is kept beside it (its WAL checkpointed into it first), and that path returned.
    Refused while a higgsctl process seems to use the database: the bot's heartbeat is fresh,
    or a job's lease is live (a worker, a `generate`)."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise InvalidInput(f"{source} is not a file.")
    if source == live.resolve():
        raise InvalidInput(f"{source} is the live database itself.")
    _check_backup(source)
    if live.exists() and not ignore_live_processes:
        _refuse_while_in_use(live)
    kept = _unused(live.with_name(f"{live.name}.before-restore-{utcnow():%Y%m%d-%H%M%S}"))
    tmp = live.with_name(f".{live.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        shutil.copyfile(source, tmp)
        if live.exists():
            with contextlib.closing(sqlite3.connect(live)) as db:  # the WAL's pages into the file
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            os.replace(live, kept)
        for leftover in (live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
            leftover.unlink(missing_ok=True)  # another database's WAL must never meet this file
        os.replace(tmp, live)
    finally:
        tmp.unlink(missing_ok=True)
    return kept


def _unused(path: Path) -> Path:
    """``path``, or with ~2, ~3... when that exists: two restores within a second must not
    replace the first one's kept database with the second's."""
    n = 1
    while path.exists():
        n += 1
        path = path.with_name(f"{path.name.rsplit('~', 1)[0]}~{n}")
    return path


def _check_backup(source: Path) -> None:
    # immutable: no -wal/-shm beside it (a read-only folder refused even reading); exactly the
    # file that is copied is checked
    try:
        with contextlib.closing(sqlite3.connect(f"file:{quote(str(source))}?mode=ro&immutable=1", uri=True)) as db:
            problem = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source} is not a SQLite database: {exc}.") from None
    if problem != "ok":
        raise InvalidInput(f"{source} failed SQLite's integrity check: {problem}.")
    if not {"user", "ledger_entry", "generation"} <= tables:
        raise InvalidInput(f"{source} is not a higgsctl database.")


def _refuse_while_in_use(live: Path) -> None:
    now = utcnow()
    with contextlib.closing(sqlite3.connect(f"file:{quote(str(live))}?mode=ro", uri=True)) as db:
        try:
            beats = db.execute('SELECT name, beat_at FROM "heartbeat" WHERE stopped_at IS NULL').fetchall()
            leases = db.execute('SELECT count(*) FROM "generation" WHERE lease_until > ?', (now,)).fetchone()[0]
        except sqlite3.OperationalError:  # an old or empty database: nothing runs on it
            return
    fresh = [name for name, at in beats if now - datetime.fromisoformat(at) < STALE]
    if fresh or leases:
        raise HiggsctlError("A higgsctl process is using this database"
                            + (f" ({', '.join(fresh)} is up)" if fresh else f" ({leases} job(s) leased to one)") + ".",
                            hint="Stop the bot and any worker first (or pass --force if they are gone for good).")
