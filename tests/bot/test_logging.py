"""The bot token never reaches the logs: not in httpx's request lines (the URLs carry it),
not in a logged exception whose message contains it."""

from __future__ import annotations

import logging

import pytest

from higgsctl.engine.logs import setup_logging

from .harness import ALICE, TOKEN, Running, configure, emu, sandbox  # noqa: F401


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    level, httpx_level = root.level, logging.getLogger("httpx").level
    yield
    for handler in [h for h in root.handlers if getattr(h, "_higgsctl", False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(httpx_level)


async def test_token_is_absent_from_logs(settings, emu, sandbox, restore_logging):  # noqa: F811
    configured = configure(settings, emu, sandbox)
    setup_logging(configured, console=False, to_file=True, level="DEBUG")  # as run_bot does, most verbose
    bot = await Running(configured).start()
    try:
        alice = emu.user(ALICE, "Alice")
        await alice.send_text("/start")
        await alice.wait_for_text("Welcome")
        emu.fail_next("sendMessage", error_code=400, description=f"Bad Request: token {TOKEN} echoed")
        await alice.send_text("/balance")
        await alice.wait_for_text("Something went wrong")
    finally:
        await bot.stop()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (configured.log_dir / "higgsctl.log").read_text(encoding="utf-8")
    assert "HTTP Request: POST" in text and "/bot***/getUpdates" in text  # the URLs were logged, redacted
    assert "error while handling update" in text and "BadRequest: Token *** echoed" in text  # traceback, redacted
    # PTB capitalizes Telegram's error text (lower-casing the token): redaction ignores case
    assert TOKEN.split(":")[1].lower() not in text.lower()
