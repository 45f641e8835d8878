"""`higgsctl audit`, `history cancel|refund|resend`, reasons on reject and block, `--as-admin`,
and `higgsctl export`, against a real SQLite file."""

from __future__ import annotations

import csv
import json

import pytest

from higgsctl.engine import AuditFilter
from higgsctl.engine.audit import operator_actor
from higgsctl.engine.models import LedgerEntry

ANN = 1001


@pytest.fixture
def ann(engine):
    return engine.users.register(ANN, username="ann", first_name="=HYPERLINK(\"x\")")[0]


def completed(engine, *, delivered=True):
    rows = engine.generations.rows
    generation = rows.hold(ANN, 50, model="nano-banana", prompt="+fox [b]", aspect_ratio="1:1", source="bot",
                           chat_id=ANN)
    rows.finish(generation.id, "completed", files=["results/x.png"])
    if delivered:
        rows.mark_delivered(generation.id)
    return generation


def audit_rows(engine, **f):
    return engine.audit.list(AuditFilter(limit=100, **f))


def test_as_admin_names_the_actor_in_ledger_and_audit(cli, engine, ann):
    result = cli("--as-admin", "Ann Admin", "credits", "grant", "@ann", "500", "--reason", "prize")
    assert result.exit_code == 0, result.output
    who = operator_actor("cli", "Ann Admin")
    assert LedgerEntry.get(LedgerEntry.reason == "grant").actor == who
    data = cli("audit", "--json").json()
    assert [(e["actor"], e["action"], e["user_id"], e["reason"]) for e in data] == [(who, "grant", ANN, "prize")]
    table = cli("audit", "--user", "@ann", "--action", "grant")
    assert "balance 10000 → 10500" in table.stdout and "prize" in table.stdout
    assert "No admin actions recorded that match." in cli("audit", "--action", "refund").stderr
    assert cli("audit", "--action", "nuke").exit_code == 2


def test_reject_and_block_take_a_reason(cli, engine, ann):
    topup = engine.topups.request(ANN)
    result = cli("credits", "reject", topup.id, "--reason", "no payment", "--tell-user")
    assert result.exit_code == 0 and "told the reason" in result.stdout
    assert engine.topups.get(topup.id).reason_shared
    assert cli("users", "block", "@ann", "--reason", "spam").exit_code == 0
    shown = cli("users", "show", "@ann")
    assert f"Blocked:        yes (by {operator_actor('cli')}, " in shown.stdout and "UTC: spam)" in shown.stdout
    assert cli("users", "show", "@ann", "--json").json()["block"]["reason"] == "spam"
    assert cli("users", "unblock", "@ann").exit_code == 0
    assert [(e.action, e.reason) for e in audit_rows(engine, user_id=ANN)] == [
        ("unblock", None), ("block", "spam"), ("topup_reject", "no payment")]


def test_refund_once_and_declining_changes_nothing(cli, engine, ann):
    generation = completed(engine)
    declined = cli("history", "refund", generation.id, input="n\n")
    assert declined.exit_code == 1 and audit_rows(engine) == []
    assert engine.credits.balance(ANN) == 9950
    done = cli("history", "refund", generation.id, "--reason", "blurry", "--yes")
    assert done.exit_code == 0, done.output
    assert "Balance: 10000." in done.stdout
    again = cli("history", "refund", generation.id, "--yes")
    assert again.exit_code == 2 and "already refunded" in again.stderr
    assert [e.reason for e in audit_rows(engine, action="refund")] == ["blurry"]
    assert engine.credits.discrepancies() == []


def test_resend_and_cancel(cli, engine, ann):
    generation = completed(engine)
    assert cli("history", "resend", generation.id, "--yes").exit_code == 0
    assert engine.generations.get(generation.id).delivered_at is None
    assert cli("history", "resend", generation.id, "--yes").exit_code == 2  # the bot has not sent it yet
    queued = engine.generations.rows.hold(ANN, 50, model="nano-banana", prompt="x", aspect_ratio="1:1")
    result = cli("history", "cancel", queued.id, "--reason", "duplicate", "--yes")
    assert result.exit_code == 0, result.output
    assert engine.generations.get(queued.id).status == "canceled" and engine.credits.balance(ANN) == 9950
    assert cli("history", "cancel", queued.id, "--yes").exit_code == 2
    assert [e.action for e in audit_rows(engine)] == ["cancel", "resend"]


def test_export_csv_to_a_file_and_json_to_stdout(cli, engine, ann, tmp_path):
    completed(engine)
    out = tmp_path / "gens.csv"
    result = cli("export", "generations", "--format", "csv", "--out", out)
    assert result.exit_code == 0 and "Exported 1 generations rows" in result.stderr
    with out.open(newline="", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["prompt"] == "'+fox [b]" and row["user_id"] == str(ANN)
    assert not list(tmp_path.glob("*.partial"))
    users = cli("export", "users", "--format", "json", "--since", "2000-01-01")
    assert [u["first_name"] for u in json.loads(users.stdout)] == ["=HYPERLINK(\"x\")"]
    assert json.loads(cli("export", "ledger", "-f", "json", "--since", "2999-01-01").stdout) == []
    assert cli("export", "users", "--since", "yesterday").exit_code == 2
    assert cli("export", "payments_x").exit_code == 2
    assert [e.target for e in audit_rows(engine, action="export")] == ["export:ledger", "export:users",
                                                                        "export:generations"]
