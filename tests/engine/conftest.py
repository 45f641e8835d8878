"""Database fixtures: the money tests run on SQLite and, when a server is reachable, on
PostgreSQL (127.0.0.1:5432, trust auth) in a throw-away database."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace

import pytest

from higgsctl.engine import Engine

PG_DSN = os.environ.get("HIGGSCTL_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=test")


def _pg_admin():
    try:
        import psycopg2
    except ImportError:
        pytest.skip("psycopg2 is not installed")
    try:
        conn = psycopg2.connect(PG_DSN, connect_timeout=2)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable ({str(exc).strip().splitlines()[0]})")
    conn.autocommit = True
    return conn


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, home):
    if request.param == "sqlite":
        yield f"sqlite:///{home / 'money.db'}"
        return
    admin = _pg_admin()
    name = f"higgsctl_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    params = dict(p.split("=", 1) for p in PG_DSN.split())
    yield f"postgresql://{params.get('user', 'postgres')}@{params.get('host', '127.0.0.1')}:{params.get('port', '5432')}/{name}"
    from higgsctl.engine.models import database

    if database.obj is not None and not database.obj.is_closed():
        database.obj.close()
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def any_engine(settings, database_url):
    eng = Engine(replace(settings, database_url=database_url))
    yield eng
    eng.close()
