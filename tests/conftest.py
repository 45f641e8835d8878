"""Shared fixtures: every test runs in its own HIGGSCTL_HOME with no credentials from the
developer's environment."""

from __future__ import annotations

import pytest

from higgsctl.engine import Engine, load_settings

CLEARED_ENV = (
    "HF_KEY", "HF_API_KEY", "HF_API_SECRET", "HIGGSCTL_TELEGRAM_TOKEN", "HIGGSCTL_DATABASE_URL",
    "HIGGSCTL_BASE_URL",
)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("HIGGSCTL_HOME", str(path))
    for name in CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def write_config(home):
    def write(text: str):
        (home / "config.toml").write_text(text, encoding="utf-8")
        return home / "config.toml"

    return write


@pytest.fixture
def settings(home):
    return load_settings()


@pytest.fixture
def engine(settings):
    eng = Engine(settings)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def hostile_images():
    """file name -> bytes; tests/hostile_images.py says what each is and its refusal code."""
    from hostile_images import hostile_images as build

    return build()
