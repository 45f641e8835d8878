"""CLI test helpers: run `higgsctl` in-process with Typer's CliRunner against the per-test
HIGGSCTL_HOME (see tests/conftest.py), real PNG files, and a real sandbox on a thread."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from higgsctl.cli import app


class Run:
    """`cli("credits", "show", "0")` → the CliRunner result, with .json() for stdout."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        result = self.runner.invoke(app, [str(a) for a in args], input=input, env=env, catch_exceptions=False)
        result.json = lambda: json.loads(result.stdout)
        return result


@pytest.fixture
def cli():
    return Run()


@pytest.fixture(autouse=True)
def _no_sentry(monkeypatch):
    """A developer's HIGGSCTL_SENTRY_DSN must not send the tests' errors (tests set their own)."""
    monkeypatch.delenv("HIGGSCTL_SENTRY_DSN", raising=False)


@pytest.fixture(autouse=True)
def _drop_log_handlers():
    """`generate` installs file/stderr log handlers on the root logger; keep tests apart."""
    yield
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_higgsctl", False):
            root.removeHandler(handler)
            handler.close()


def make_png(path: Path, size=(64, 48), color=(200, 40, 40)) -> Path:
    Image.new("RGB", size, color).save(path, format="PNG")
    return path


@pytest.fixture
def png(tmp_path) -> Path:
    return make_png(tmp_path / "ref.png")


@pytest.fixture
def sandbox_server():
    """A real sandbox on loopback, served from its own event loop on a thread, so the
    synchronous CliRunner can call it."""
    from higgsctl.sandbox import Sandbox, SandboxOptions

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    sandbox = Sandbox(SandboxOptions(key_id="hf-key-id", key_secret="hf-secret-value-123", service_time=0.3))
    asyncio.run_coroutine_threadsafe(sandbox.start(), loop).result(timeout=10)
    yield sandbox
    asyncio.run_coroutine_threadsafe(sandbox.stop(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)
    loop.close()
