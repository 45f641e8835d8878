"""The TUI's error notifications and its log never show a secret: here the PostgreSQL
database (its URL carries a password) disappears under the running TUI, at DEBUG."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from urllib.parse import quote

import pytest

from higgsctl.engine import Engine
from higgsctl.engine.logs import setup_logging

DB_PASSWORD = "Pg@ss/w0rd:!"
TOKEN = "7012345678:AAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC"
SECRETS = [DB_PASSWORD, TOKEN, TOKEN.split(":")[1], "Hf$ecret/+.*Value", "whk-SECRET_value-42"]


@pytest.fixture
def pg_admin():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2)
    except psycopg2.OperationalError:
        pytest.skip("no PostgreSQL server reachable")
    admin.autocommit = True
    name = f"higgsctl_{uuid.uuid4().hex[:12]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    yield admin, name
    with admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def engine(settings, pg_admin):
    """The engine the ``tui`` fixture runs on: PostgreSQL, every secret configured, logging
    at DEBUG to the log file as `higgsctl admin` sets it up."""
    _, name = pg_admin
    s = replace(
        settings, log_level="DEBUG",
        database_url=f"postgresql://postgres:{quote(DB_PASSWORD, safe='')}@127.0.0.1:5432/{name}",
        higgsfield=replace(settings.higgsfield, api_key="kid-1234", api_secret="Hf$ecret/+.*Value"),
        telegram=replace(settings.telegram, token=TOKEN, webhook_secret="whk-SECRET_value-42"),
    )
    root = logging.getLogger()
    level = root.level
    setup_logging(s, console=False, to_file=True)
    eng = Engine(s)
    yield eng
    try:
        eng.close()
    except Exception:  # noqa: BLE001 - its database is gone
        pass
    for handler in [h for h in root.handlers if getattr(h, "_higgsctl", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)


async def test_a_vanished_database_is_reported_without_its_password(tui, engine, pg_admin, leaked):
    admin, name = pg_admin
    async with tui(refresh_interval=0.1) as h:
        assert not h.errors()
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE {name} WITH (FORCE)")
        await h.until(lambda: h.errors(), what="an error notification")
    log_file = (engine.settings.log_dir / "higgsctl.log").read_text(encoding="utf-8")
    for text in [*h.errors(), log_file]:
        assert not leaked(text, SECRETS), text
    assert h.errors()[0].startswith("Database error:"), h.errors()
    assert "DEBUG peewee" in log_file  # the log is written, at DEBUG
