"""Shared fixtures: every test runs in its own HIGGSCTL_HOME with no credentials from the
developer's environment."""

from __future__ import annotations

import os
import uuid

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


def secret_spellings(secret: str) -> set[str]:
    """Every way a secret can show up in a log line or an error text: raw and in either
    letter case, URL-encoded (quote(), quote(safe=''), form-encoded, every character
    encoded) with upper- and lower-case hex, escaped by repr() and JSON, and base64
    (Authorization headers)."""
    from base64 import b64encode, urlsafe_b64encode
    from json import dumps
    from re import sub
    from urllib.parse import quote, quote_plus

    every_char = "".join(f"%{b:02X}" for b in secret.encode())
    cased = {secret, secret.lower(), secret.upper()}
    encoded = {f(s) for s in cased for f in (quote, lambda s: quote(s, safe=""), quote_plus)} | {every_char}
    forms = cased | {f(s)[1:-1] for s in cased for f in (repr, dumps)} | encoded
    forms |= {sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), form) for form in encoded}
    for b64 in (b64encode, urlsafe_b64encode):
        forms.add(b64(secret.encode()).decode().rstrip("="))
    return forms


@pytest.fixture
def leaked():
    """``leaked(text, secrets)`` → the spellings of ``secrets`` that occur in ``text`` (in any
    letter case)."""
    def find(text: str, secrets) -> list[str]:
        folded = text.lower()
        return sorted({form for secret in secrets for form in secret_spellings(secret) if form.lower() in folded})

    return find


@pytest.fixture
def spellings():
    return secret_spellings


@pytest.fixture(scope="session")
def hostile_images():
    """file name -> bytes; tests/hostile_images.py says what each is and its refusal code."""
    from tests.hostile_images import hostile_images as build

    return build()


PG_DSN = os.environ.get("HIGGSCTL_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=test")


class PostgresDatabase:
    """A throw-away PostgreSQL database on the test server (trust auth: any password is
    accepted); ``admin`` is a connection to the server's own database."""

    def __init__(self, admin, name: str) -> None:
        self.admin, self.name = admin, name
        params = dict(p.split("=", 1) for p in PG_DSN.split())
        self.host, self.port = params.get("host", "127.0.0.1"), params.get("port", "5432")
        self.user = params.get("user", "postgres")

    def url(self, password: str | None = None) -> str:
        auth = self.user if password is None else f"{self.user}:{password}"
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.name}"

    def drop(self) -> None:
        with self.admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture
def pg_database():
    """A fresh PostgreSQL database, dropped afterwards; skips when no server answers."""
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        admin = psycopg2.connect(PG_DSN, connect_timeout=2)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server reachable ({str(exc).strip().splitlines()[0]})")
    admin.autocommit = True
    db = PostgresDatabase(admin, f"higgsctl_{uuid.uuid4().hex[:12]}")
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {db.name}")
    yield db
    from higgsctl.engine.models import database

    if database.obj is not None and not database.obj.is_closed():
        try:
            database.obj.close()
        except Exception:  # noqa: BLE001 - a test may have dropped it already
            pass
    db.drop()
    admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, home):
    """The test's database on SQLite and, when a server answers, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{home / 'money.db'}"
    return request.getfixturevalue("pg_database").url()
