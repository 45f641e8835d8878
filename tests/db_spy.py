"""Which threads ran database statements: a recording wrapper around peewee's own
``Database.execute_sql`` (every query and every cached statement goes through it)."""

from __future__ import annotations

import threading

import peewee


def record_statement_threads(monkeypatch) -> list[str]:
    names: list[str] = []
    execute_sql = peewee.Database.execute_sql

    def recording(self, sql, params=None, *args, **kwargs):
        names.append(threading.current_thread().name)
        return execute_sql(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(peewee.Database, "execute_sql", recording)
    return names
