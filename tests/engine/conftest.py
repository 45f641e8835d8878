"""Database fixtures: the money tests run on SQLite and, when a server is reachable, on
PostgreSQL (``database_url`` in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine import Engine


@pytest.fixture
def any_engine(settings, database_url):
    eng = Engine(replace(settings, database_url=database_url))
    yield eng
    eng.close()
