"""A SQLite database is created once, at the first start, and never silently again: a file
moved away or deleted while we run makes the next connection fail with a ConfigError."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from higgsctl.cli import exit_codes
from higgsctl.engine import ConfigError, Engine
from higgsctl.engine.db import open_database
from higgsctl.engine.models import User


def _files(path: Path) -> list[Path]:
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def _move_away(path: Path, to: Path) -> None:
    to.mkdir()
    for file in _files(path):
        os.rename(file, to / file.name)


def _in_new_thread(fn):
    """Run ``fn`` on a thread of its own: peewee connections are per thread, so it opens a new one."""
    outcome = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "data" / "higgsctl.db"


@pytest.fixture
def open_engine(settings, db_path):
    engines = []

    def open_() -> Engine:
        engines.append(Engine(replace(settings, database_url=f"sqlite:///{db_path}")))
        return engines[-1]

    yield open_
    for engine in engines:
        engine.close()


def test_first_start_creates_the_database_and_says_so(open_engine, db_path, caplog):
    with caplog.at_level(logging.INFO, logger="higgsctl.db"):
        open_engine().users.register(1, first_name="Ann")
    assert db_path.is_file()
    assert [r.getMessage() for r in caplog.records if "created a new" in r.getMessage()] == [
        f"created a new empty database at {db_path}"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="higgsctl.db"):
        assert open_engine().users.get(1).first_name == "Ann"
    assert not [r for r in caplog.records if "created a new" in r.getMessage()]


@pytest.mark.parametrize("how", ["moved", "deleted"])
def test_database_gone_while_running_is_an_error_not_a_new_database(open_engine, db_path, tmp_path, how):
    engine = open_engine()
    engine.users.register(1, first_name="Ann")
    engine.db.close()  # as the TUI does after each load: the next call reconnects
    if how == "moved":
        _move_away(db_path, tmp_path / "elsewhere")
    else:
        for file in _files(db_path):
            file.unlink()
    with pytest.raises(ConfigError, match="is gone") as caught:
        engine.users.get(1)
    assert exit_codes.for_error(caught.value) == exit_codes.CONFIG
    with pytest.raises(ConfigError, match="is gone"):
        _in_new_thread(lambda: engine.users.register(2))
    assert _files(db_path) == []  # nothing was created in its place
    if how == "moved":  # the data is where it was moved, intact
        moved = tmp_path / "elsewhere" / db_path.name
        engine.close()
        db = open_database(f"sqlite:///{moved}")
        assert User.get_by_id(1).first_name == "Ann"
        db.close()


def test_database_moved_while_a_connection_is_open(open_engine, db_path, tmp_path):
    """The open connection keeps using the moved file; a new connection refuses."""
    engine = open_engine()
    engine.users.register(1, first_name="Ann")
    _move_away(db_path, tmp_path / "elsewhere")
    engine.users.register(2, first_name="Bob")  # same connection: writes to the moved file
    with pytest.raises(ConfigError, match="is gone"):
        _in_new_thread(lambda: engine.users.get(1))
    assert _files(db_path) == []


def test_database_path_that_is_a_directory_is_a_config_error(settings, db_path):
    db_path.mkdir(parents=True)
    with pytest.raises(ConfigError, match="not a file"):
        Engine(replace(settings, database_url=f"sqlite:///{db_path}"))


def test_database_path_with_uri_characters(tmp_path, settings):
    path = tmp_path / "odd dir [x] &mode=ro" / "my db=1.sqlite"  # characters a SQLite URI treats specially
    engine = Engine(replace(settings, database_url=f"sqlite:///{path}"))
    try:
        engine.users.register(1)
        assert path.is_file() and engine.users.count() == 1
    finally:
        engine.close()


# Folder names a URL parser would misread (query, fragment, escapes) next to harmless ones.
ODD_HOMES = ["a?b", "a#b", "a%41b", "100%", "a%3Fb", "a b?c=d#e%20f", "юникод ?#%", "a;b&c=d"]


@pytest.mark.parametrize("name", ODD_HOMES)
def test_the_default_database_lives_in_any_higgsctl_home(tmp_path, monkeypatch, name):
    from higgsctl.engine import load_settings

    homes = tmp_path / "homes"
    home = homes / name
    monkeypatch.setenv("HIGGSCTL_HOME", str(home))
    engine = Engine(load_settings())
    try:
        engine.users.register(1, first_name="Ann")
        assert (home / "higgsctl.db").is_file()
        assert [p.name for p in homes.iterdir()] == [name]  # nothing created beside the home
    finally:
        engine.close()
    _move_away(home / "higgsctl.db", tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="is gone"):
        _in_new_thread(lambda: engine.users.get(1))
