"""The bot token never reaches the logs: not in httpx's request lines (the URLs carry it),
not in a logged exception whose message contains it."""

from __future__ import annotations

import logging
from urllib.parse import quote

import pytest

from higgsctl.engine.logs import setup_logging

from .harness import ALICE, TOKEN, Running, configure, image


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


async def test_token_is_absent_from_logs(settings, emu, sandbox, restore_logging):
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


async def test_no_spelling_of_any_secret_reaches_the_log_file_or_stderr(settings, emu, sandbox, capsys,
                                                                       restore_logging, leaked):
    """At DEBUG, a user's reference photo is downloaded from /file/bot<token>/…, which httpx
    logs with the colon encoded; an error from Telegram quotes the token encoded; the error
    handler logs the traceback. Nothing of the token, its secret part, the Higgsfield key or
    the webhook secret gets through, in any spelling; the lines themselves stay."""
    configured = configure(settings, emu, sandbox, webhook_secret="whk-Secret_value-42")
    hf = configured.higgsfield
    secrets = [TOKEN, TOKEN.split(":", 1)[1], hf.api_secret, f"{hf.api_key}:{hf.api_secret}", "whk-Secret_value-42"]
    setup_logging(configured, console=True, to_file=True, level="DEBUG")  # as run_bot does, most verbose
    bot = await Running(configured).start()
    try:
        alice = emu.user(ALICE, "Alice")
        await alice.send_text("/start")
        await alice.wait_for_text("What would you like to do?")
        await alice.press("g")
        await alice.wait_for_text("Choose a model")
        await alice.press("m:nano-banana")
        await alice.wait_for_text("send the prompt")
        await alice.send_text("a red fox")
        await alice.wait_for_text("reference photos")
        await alice.send_photo(image())
        await alice.wait_for_text("1 photo(s) added")
        emu.fail_next("sendMessage", error_code=400,
                      description=f"Bad Request: chat {quote(TOKEN, safe='')} for {TOKEN.lower()} not found")
        await alice.send_text("/balance")
        await alice.wait_for_text("Something went wrong")
    finally:
        await bot.stop()
    for handler in logging.getLogger().handlers:
        handler.flush()
    log_file = (configured.log_dir / "higgsctl.log").read_text(encoding="utf-8")
    stderr = capsys.readouterr().err
    for text in (log_file, stderr):
        assert not leaked(text, secrets)
        assert "HTTP Request: GET" in text and "/file/bot***/" in text  # the download was logged
        assert "getFile" in text and "/bot***/sendMessage" in text  # with its method names
        assert "error while handling update" in text and "BadRequest: " in text  # the traceback too
