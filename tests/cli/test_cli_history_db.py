"""`higgsctl history`, `history show`, `db migrate` and `db status` (incl. the books check)."""

from __future__ import annotations

import uuid
from pathlib import Path

from higgsctl.engine.db import MIGRATIONS as MIGRATIONS_DIR

MIGRATIONS = sorted(p.stem for p in MIGRATIONS_DIR.glob("[0-9]*.py"))

from higgsctl.engine.models import User


def make_generation(engine, user_id, prompt, status, error=None, model="nano-banana"):
    """A real hold through the engine, then settled as `status` (no network)."""
    generation = engine.generations.rows.hold(user_id, 50, model=model, prompt=prompt, aspect_ratio="1:1",
                                     idempotency_key=uuid.uuid4().hex)
    engine.generations.finish(generation.id, status, error)
    return generation.id


def test_history_filters_and_json(cli, engine):
    engine.users.register(1001, username="alice")
    engine.users.operator()
    a = make_generation(engine, 1001, "a red fox", "failed", "Generation failed")
    b = make_generation(engine, 1001, "a blue whale", "nsfw")
    c = make_generation(engine, 0, "a red car", "canceled", model="seedream-4.5")
    everything = cli("history", "--json").json()
    assert [g["id"] for g in everything] == [c, b, a]
    assert [g["id"] for g in cli("history", "--user", "@alice", "--json").json()] == [b, a]
    assert [g["id"] for g in cli("history", "--status", "failed", "--json").json()] == [a]
    assert [g["id"] for g in cli("history", "-q", "RED", "--json").json()] == [c, a]
    assert [g["id"] for g in cli("history", "--model", "seedream-4.5", "--json").json()] == [c]
    assert [g["id"] for g in cli("history", "--limit", "1", "--json").json()] == [c]
    first = everything[2]
    assert (first["status"], first["error"], first["charge"], first["cost"]) == ("failed", "Generation failed", "released", 50)
    table = cli("history")
    assert table.exit_code == 0 and "a blue whale" in table.stdout
    assert cli("history", "--status", "bogus").exit_code == 2
    assert cli("history", "--user", "@nobody").exit_code == 2
    assert "No generations match" in cli("history", "--user", "0", "--status", "failed").stderr


def test_history_show_with_real_files(cli, engine, png):
    generated = cli("generate", "a fox", "--ref", png, "--sandbox", "--yes", "--sandbox-service-time", "0.3")
    assert generated.exit_code == 0, generated.output
    result_path = generated.stdout.strip()
    [row] = cli("history", "--json").json()
    shown = cli("history", "show", str(row["id"]), "--json").json()
    assert shown["result_files"] == [result_path]
    assert all(Path(p).is_absolute() and Path(p).is_file() for p in shown["references"] + shown["result_files"])
    assert (shown["prompt"], shown["aspect_ratio"], shown["status"], shown["charge"]) == ("a fox", "1:1", "completed", "captured")
    assert shown["request_id"] and shown["submitted_at"] and shown["finished_at"]
    text = cli("history", "show", str(row["id"]))
    assert f"Result: {result_path}" in text.stdout
    assert "Request id:" in text.stdout and "Took:" in text.stdout and "Reference: /" in text.stdout
    missing = cli("history", "show", "999")
    assert missing.exit_code == 2 and "No generation #999" in missing.stderr


def test_db_migrate_and_status(cli, engine):
    migrate = cli("db", "migrate")
    assert migrate.exit_code == 0 and "up to date" in migrate.stderr
    engine.users.register(1001)
    status = cli("db", "status", "--json")
    assert status.exit_code == 0, status.output
    data = status.json()
    assert [m["name"] for m in data["migrations"]] == MIGRATIONS
    assert all(m["applied"] for m in data["migrations"])
    assert data["rows"]["user"] == 1 and data["rows"]["ledger_entry"] == 1
    assert data["books_balanced"] is True and data["discrepancies"] == []
    assert data["database_url"].startswith("sqlite:///")
    text = cli("db", "status")
    assert "Books: balanced" in text.stdout and "0001_initial" in text.stdout


def test_db_migrate_applies_pending_on_a_fresh_database(cli, write_config, home):
    write_config(f'[database]\nurl = "sqlite:///{home / "fresh.db"}"\n')
    result = cli("db", "migrate")
    assert result.exit_code == 0
    assert result.stdout.split() == MIGRATIONS


def test_db_status_exits_1_when_the_books_do_not_balance(cli, engine):
    engine.users.register(1001)
    User.update(balance=User.balance + 7).where(User.id == 1001).execute()  # a hand edit, no ledger row
    result = cli("db", "status", "--json")
    assert result.exit_code == 1
    assert result.json()["discrepancies"] == [{"user_id": 1001, "balance": 10007, "ledger": 10000}]
    assert "books don't balance" in result.stderr


def test_database_passwords_are_masked():
    from higgsctl.engine.redaction import Redactor

    mask = Redactor()  # even a password the configuration doesn't hold
    assert mask("postgresql://app:hunter2secret@db.example:5432/higgsctl") == "postgresql://app:***@db.example:5432/higgsctl"
    assert mask("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
