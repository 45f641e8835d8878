"""The TUI's error notifications and its log never show a secret: here the PostgreSQL
database (its URL carries a password) disappears under the running TUI, at DEBUG."""

from __future__ import annotations

import logging
from dataclasses import replace
from urllib.parse import quote

import pytest

from higgsctl.engine import Engine
from higgsctl.engine.logs import setup_logging

DB_PASSWORD = "Pg@ss/w0rd:!"
TOKEN = "7012345678:AAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC"
SECRETS = [DB_PASSWORD, TOKEN, TOKEN.split(":")[1], "Hf$ecret/+.*Value", "whk-SECRET_value-42"]


@pytest.fixture
def engine(settings, pg_database):
    """The engine the ``tui`` fixture runs on: PostgreSQL, every secret configured, logging
    at DEBUG to the log file as `higgsctl admin` sets it up."""
    s = replace(
        settings, log_level="DEBUG",
        database_url=pg_database.url(quote(DB_PASSWORD, safe="")),
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


async def test_a_vanished_database_is_reported_without_its_password(tui, engine, pg_database, leaked):
    async with tui(refresh_interval=0.1) as h:
        assert not h.errors()
        pg_database.drop()
        await h.until(lambda: h.errors(), what="an error notification")
    log_file = (engine.settings.log_dir / "higgsctl.log").read_text(encoding="utf-8")
    for text in [*h.errors(), log_file]:
        assert not leaked(text, SECRETS), text
    assert h.errors()[0].startswith("Database error:"), h.errors()
    assert "DEBUG peewee" in log_file  # the log is written, at DEBUG
