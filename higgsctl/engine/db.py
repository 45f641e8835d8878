"""Binding the models to a database from a URL, and applying migrations at start-up."""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import Database, OperationalError, SqliteDatabase, fn
from playhouse.db_url import connect
from playhouse.migrations import Runner

from .errors import ConfigError
from .folding import fold
from .models import database

log = logging.getLogger("higgsctl.db")

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
    "busy_timeout": 5000,
}


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Connect the shared DatabaseProxy to ``url`` and bring the schema up to date."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    try:
        db = connect(url, **({"pragmas": SQLITE_PRAGMAS, "timeout": 5} if url.startswith("sqlite") else {}))
    except (RuntimeError, ValueError, ImportError) as exc:
        raise ConfigError(f"Cannot use [database] url: {exc}.", hint="Install psycopg2-binary for PostgreSQL.") from None
    database.initialize(db)
    if migrate:
        try:
            applied = migration_runner(db).up()
        except OperationalError as exc:
            raise ConfigError(f"Cannot open the database: {exc}.", hint="Check [database] url.") from None
        if applied:
            log.info("applied migrations: %s", ", ".join(applied))
    return db


def migration_runner(db: Database) -> Runner:
    return Runner(db, str(MIGRATIONS))


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
