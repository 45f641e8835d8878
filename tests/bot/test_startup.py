"""`higgsctl bot run` as a real process when Telegram is unreachable at start-up: it retries
getMe with backoff and says so, starts once Telegram answers, and Ctrl-C stops it while it
waits; a rejected token still exits 3 at once."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys

import pytest

from tests.fakes.telegram_emulator import TelegramEmulator

TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def refusing_socket():
    """Bound but not listening: connections to its port are refused until it listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


def _bot_run(home, port: int, token: str = TOKEN) -> subprocess.Popen:
    (home / "config.toml").write_text(f'[telegram]\napi_base_url = "http://127.0.0.1:{port}"\n', encoding="utf-8")
    env = {**os.environ, "HIGGSCTL_HOME": str(home), "HIGGSCTL_TELEGRAM_TOKEN": token}
    return subprocess.Popen([sys.executable, "-c", "from higgsctl.cli import main; main()", "bot", "run", "--sandbox"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


async def _line_with(proc: subprocess.Popen, text: str, seen: list[str]) -> str:
    """Read stderr lines until one contains ``text`` (EOF fails the test with what was said)."""
    while True:
        line = await asyncio.to_thread(proc.stderr.readline)
        if not line:
            raise AssertionError(f"bot run exited ({proc.wait()}) without saying {text!r}:\n{''.join(seen)}")
        seen.append(line)
        if text in line:
            return line


async def _stop(proc: subprocess.Popen, seen: list[str]) -> int:
    """Ctrl-C, then wait off the event loop (the emulator in this loop must keep answering)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    seen.append((await asyncio.to_thread(proc.communicate, timeout=60))[1])
    return proc.returncode


async def test_waits_for_an_unreachable_telegram_then_starts(home, refusing_socket):
    port = refusing_socket.getsockname()[1]
    proc = _bot_run(home, port)
    seen: list[str] = []
    emulator = TelegramEmulator(token=TOKEN)
    try:
        first = await _line_with(proc, "cannot reach Telegram", seen)
        assert f"http://127.0.0.1:{port}" in first and "retrying in 1 s" in first and TOKEN.split(":")[1] not in first
        await _line_with(proc, "retrying in 2 s", seen)  # backoff grows
        await emulator.start(sock=refusing_socket)  # Telegram comes back on the same port
        await _line_with(proc, f"bot @{emulator.bot_username} is running", seen)
        assert [method for method, _ in emulator.calls][:1] == ["getMe"]
    finally:
        code = await _stop(proc, seen)
        await emulator.stop()
    assert code == 0, "".join(seen)
    assert "Traceback" not in "".join(seen), "".join(seen)


async def test_ctrl_c_stops_it_while_it_waits_for_telegram(home, refusing_socket):
    proc = _bot_run(home, refusing_socket.getsockname()[1])
    seen: list[str] = []
    try:
        await _line_with(proc, "cannot reach Telegram", seen)
    finally:
        code = await _stop(proc, seen)
    assert code == 0, "".join(seen)
    assert "Traceback" not in "".join(seen), "".join(seen)


async def test_a_rejected_token_exits_3_at_once(home):
    async with TelegramEmulator(token=TOKEN) as emulator:
        proc = _bot_run(home, int(emulator.url.rsplit(":", 1)[1]), token="123456:wrong-token-abcdefghijklmnopq")
        out, err = await asyncio.to_thread(proc.communicate, timeout=60)
    assert proc.returncode == 3, err
    assert "Telegram rejected the bot token." in err and "cannot reach" not in err and "wrong-token" not in err


async def test_a_second_polling_bot_on_the_same_database_is_refused(home):
    """A second `higgsctl bot run` (a real process) on the database of a running bot exits 1
    with a clear message, leaving the first one alone; after the first stops, it starts."""
    async with TelegramEmulator(token=TOKEN) as emu:
        port = int(emu.url.rsplit(":", 1)[1])
        first = _bot_run(home, port)
        seen: list[str] = []
        try:
            await _line_with(first, "is running", seen)
            second = _bot_run(home, port)
            _, err = await asyncio.to_thread(second.communicate, timeout=60)
            assert second.returncode == 1, err
            assert "already polling Telegram on this database" in err and "webhook mode" in err
            assert first.poll() is None
        finally:
            assert await _stop(first, seen) == 0
        third = _bot_run(home, port)
        try:
            await _line_with(third, "is running", seen)
        finally:
            await _stop(third, seen)


def test_a_conflict_while_polling_is_said_plainly_once(caplog):
    from telegram.error import Conflict

    from higgsctl.bot import runner

    runner._conflict_said = 0.0
    for _ in range(5):
        runner._polling_error(Conflict("Conflict: terminated by other getUpdates request"))
    said = [r for r in caplog.records if "another process is polling Telegram" in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "ERROR"
