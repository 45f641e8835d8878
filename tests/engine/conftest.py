"""Database fixtures: the money tests run on SQLite and, when a server is reachable, on
PostgreSQL (``database_url`` in tests/conftest.py). And a Higgsfield sandbox with an engine
pointed at it (polling fast), for the generation tests."""

from __future__ import annotations

from dataclasses import replace

import pytest

from higgsctl.engine import Engine
from higgsctl.launch import open_engine, sandbox_options
from higgsctl.sandbox import Sandbox

from .test_generations import fast


@pytest.fixture
def any_engine(settings, database_url):
    eng = Engine(replace(settings, database_url=database_url))
    yield eng
    eng.close()


@pytest.fixture
async def sandbox(settings):
    async with Sandbox(sandbox_options(settings, service_time=0.3)) as sb:
        yield sb


@pytest.fixture
async def gen_engine(settings, sandbox):
    async with open_engine(fast(settings, sandbox)) as eng:
        eng.users.register(1, username="ann")
        yield eng
