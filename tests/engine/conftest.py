"""Database fixtures: the money tests run on SQLite and, when a server is reachable, on
PostgreSQL (127.0.0.1:5432, trust auth) in a throw-away database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine import Engine

@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, home):
    if request.param == "sqlite":
        return f"sqlite:///{home / 'money.db'}"
    return request.getfixturevalue("pg_database").url()


@pytest.fixture
def any_engine(settings, database_url):
    eng = Engine(replace(settings, database_url=database_url))
    yield eng
    eng.close()
