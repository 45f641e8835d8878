"""Binding the models to a database from a URL, applying migrations at start-up, and the one
door that runs database work off the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, TypeVar
from urllib.parse import quote, unquote

from peewee import Database, OperationalError, SqliteDatabase, fn
from playhouse.db_url import connect, parse
from playhouse.migrations import Runner

from .errors import ConfigError
from .folding import fold
from .models import database

log = logging.getLogger("higgsctl.db")
T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
}


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Connect the shared DatabaseProxy to ``url`` and bring the schema up to date."""
    try:
        db = _sqlite_file(url) if url.startswith("sqlite:///") else connect(url)
    except (RuntimeError, ValueError, ImportError) as exc:
        raise ConfigError(f"Cannot use [database] url: {exc}.", hint="Install psycopg2-binary for PostgreSQL.") from None
    database.initialize(db)
    if migrate:
        try:
            applied = migrate_exclusively(db)
        except OperationalError as exc:
            raise ConfigError(f"Cannot open the database: {exc}.",
                              hint="Check [database] url, and that the file and its folder are writable.") from None
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
    return db


class SqliteFileDatabase(SqliteDatabase):
    """A SQLite file that every connection opens read-write without creating it (URI
    ``mode=rw``): if the file is moved away or deleted while we run, the next connection
    fails with a ConfigError instead of silently starting a new, empty database."""

    def __init__(self, path: Path, **kwargs) -> None:
        self.path = path
        super().__init__(f"file:{quote(str(path))}?mode=rw", uri=True, **kwargs)

    def _connect(self):
        try:
            return super()._connect()
        except sqlite3.OperationalError:
            if not self.path.is_file():
                raise ConfigError(
                    f"The database {self.path} is gone (moved or deleted while higgsctl was running); "
                    "not creating a new empty one.",
                    hint="Put the database file back, or restart to start a new database at that path.",
                ) from None
            raise


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for an in-memory or ``file:`` URI database."""
    name = parse(url)["database"]
    if name == ":memory:" or name.startswith("file:"):
        return None
    return Path(unquote(name)).expanduser().absolute()  # config.sqlite_url escapes %, ? and #


def _sqlite_file(url: str) -> Database:
    params = parse(url)
    params.pop("database")
    path = sqlite_path(url)
    if path is None:
        return connect(url, pragmas=SQLITE_PRAGMAS, timeout=5)
    if not path.exists():  # the first start: create it here, once, and say so
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(path).close()
        except (OSError, sqlite3.Error) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"Cannot create the database {path}: {reason}.",
                              hint="Its folder must be writable (HIGGSCTL_HOME, [database] url).") from None
        log.warning("created a new empty database at %s", path)
    elif not path.is_file():
        raise ConfigError(f"The database path {path} is not a file.", hint="Check [database] url.")
    elif not _writable(path):
        raise ConfigError(f"The database {path} is read-only for this user.",
                          hint="The file and its folder must be writable (HIGGSCTL_HOME, [database] url).")
    return SqliteFileDatabase(path, **{"pragmas": SQLITE_PRAGMAS, "timeout": 5, **params})


def _writable(path: Path) -> bool:
    """The file, and its folder or the WAL files SQLite keeps next to it, can be written."""
    if not os.access(path, os.R_OK | os.W_OK):
        return False
    side_files = [Path(f"{path}-wal"), Path(f"{path}-shm")]
    if all(p.exists() for p in side_files):
        return all(os.access(p, os.R_OK | os.W_OK) for p in side_files)
    return os.access(path.parent, os.W_OK | os.X_OK)


def migration_runner(db: Database) -> Runner:
    return Runner(db, str(MIGRATIONS))


MIGRATION_LOCK = 0x686967677363746C  # "higgsctl": the PostgreSQL advisory lock of migrations
MIGRATION_WAIT = 120.0  # seconds a process waits for another one's migrations


def migrate_exclusively(db: Database) -> list[str]:
    """Apply pending migrations exactly once when several processes start together: under an
    advisory lock on PostgreSQL, in one immediate (write-locked) transaction on SQLite, while
    the others wait; each then finds nothing left to do and goes on."""
    runner = migration_runner(db)
    if not is_sqlite(db):
        db.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            return runner.up()
        finally:
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    deadline = time.monotonic() + MIGRATION_WAIT
    while True:
        try:
            with db.atomic("IMMEDIATE"):
                return runner.up()
        except OperationalError as exc:  # busy past busy_timeout: another process is migrating
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise


def is_sqlite(db: Database) -> bool:
    return isinstance(db, SqliteDatabase)


def contains_folded(column, text: str):
    """``column`` (a folded copy, see folding.py) contains ``text`` folded the same way, as a
    literal substring: instr/strpos, not LIKE, so no character of the search is a wildcard."""
    position = fn.instr if is_sqlite(database.obj) else fn.strpos
    return position(column, fold(text)) > 0


def write_transaction(db: Database):
    """A transaction that takes the write lock up front on SQLite, so a read-then-write
    inside it can never be overtaken by another writer."""
    return db.atomic("IMMEDIATE") if is_sqlite(db) else db.atomic()


class DatabaseDoor:
    """The one way off the event loop for database work: ``await door.run(fn, *args)``.

    On SQLite one thread does all of it, so writers in this process never contend for the
    lock (whose busy handler sleeps for milliseconds; other processes still wait on
    busy_timeout); on PostgreSQL a small pool. ``door.read(fn, *args)`` is for calls that only
    read: on SQLite they get a thread (and connection) of their own, which WAL lets read while
    the writer writes, so a user-facing read never queues behind the jobs' writes; on
    PostgreSQL they share the pool. Counts calls and the seconds they took, the one place to
    measure the process's database work."""

    def __init__(self, db: Database, *, pool_size: int = 4) -> None:
        self.workers = 1 if is_sqlite(db) else pool_size
        self.separate_reads = is_sqlite(db)
        self._executors: dict[str, ThreadPoolExecutor] = {}
        self._count = threading.Lock()
        self.calls = 0
        self.seconds = 0.0

    async def run(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        return await self._run("higgsctl-db", self.workers, fn, args, kwargs)

    async def read(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """Run ``fn``, which must not write, off the event loop."""
        if not self.separate_reads:
            return await self.run(fn, *args, **kwargs)
        return await self._run("higgsctl-db-read", 1, fn, args, kwargs)

    async def _run(self, lane: str, workers: int, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        executor = self._executors.get(lane)
        if executor is None:
            executor = self._executors[lane] = ThreadPoolExecutor(workers, thread_name_prefix=lane)
        return await asyncio.get_running_loop().run_in_executor(executor, self._timed, fn, args, kwargs)

    def _timed(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            with self._count:
                self.calls += 1
                self.seconds += elapsed

    def close(self) -> None:
        """Wait for the work under way; a later call starts new executors."""
        executors, self._executors = self._executors, {}
        for executor in executors.values():
            executor.shutdown(wait=True)
