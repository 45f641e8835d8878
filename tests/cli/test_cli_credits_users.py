"""`higgsctl credits …` and `higgsctl users …` against a real SQLite file."""

from __future__ import annotations

import pytest

from higgsctl.engine.audit import operator_actor

CLI = operator_actor("cli")  # the OS user running the tests


@pytest.fixture
def alice(engine):
    user, _ = engine.users.register(1001, username="alice", first_name="Alice")
    return user


def test_grant_updates_balance_and_ledger(cli, engine, alice):
    result = cli("credits", "grant", "@alice", "500", "--reason", "contest prize")
    assert result.exit_code == 0, result.output
    assert "Granted 500 credits to @alice (1001). Balance: 10500." in result.stdout
    assert engine.credits.balance(1001) == 10500
    ledger = cli("credits", "ledger", "1001", "--json").json()
    assert ledger["balance"] == 10500
    newest = ledger["entries"][0]
    assert (newest["amount"], newest["reason"], newest["actor"], newest["note"]) == (500, "grant", CLI, "contest prize")
    assert [e["reason"] for e in ledger["entries"]] == ["grant", "signup"]
    assert engine.credits.discrepancies() == []


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "10000001", "٥٠٠", "1_000", "5.5", "１０", "²", "1 000"])
def test_grant_rejects_bad_amounts(cli, engine, alice, amount):
    result = cli("credits", "grant", "@alice", "--", amount)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert engine.credits.balance(1001) == 10000
    assert len(engine.credits.ledger(1001)) == 1


@pytest.mark.parametrize("amount", ["٥٠٠", "1_000", "5.5", "0"])
def test_approve_refuses_another_amount_not_written_in_digits_0_9(cli, engine, alice, amount):
    topup = engine.topups.request(1001)
    result = cli("credits", "approve", str(topup.id), "--amount", amount)
    assert result.exit_code == 2, result.output
    assert engine.credits.balance(1001) == 10000
    assert engine.topups.get(topup.id).status == "pending"


def test_grant_to_unknown_user(cli, engine):
    result = cli("credits", "grant", "@ghost", "100")
    assert result.exit_code == 2
    assert "Error: No user @ghost." in result.stderr
    assert "users list" in result.stderr  # the hint line
    assert "Traceback" not in result.output


def test_credits_show(cli, alice):
    data = cli("credits", "show", "@ALICE", "--json").json()
    assert data == {"user_id": 1001, "user": "@alice (1001)", "balance": 10000, "pending_topup": None}
    text = cli("credits", "show", "1001")
    assert "Balance:" in text.stdout and "10000" in text.stdout


def test_ledger_limit_and_table(cli, engine, alice):
    for _ in range(3):
        engine.credits.grant(1001, 1, actor="cli")
    assert len(cli("credits", "ledger", "@alice", "--limit", "2", "--json").json()["entries"]) == 2
    table = cli("credits", "ledger", "@alice")
    assert table.exit_code == 0 and "signup" in table.stdout and "+10000" in table.stdout


def test_topup_requests_approve_and_reject(cli, engine, alice):
    bob, _ = engine.users.register(1002, username="bob")
    first = engine.topups.request(1001)
    second = engine.topups.request(1002)
    pending = cli("credits", "requests", "--json").json()
    assert [(r["id"], r["user_id"], r["amount"], r["status"]) for r in pending] == [
        (first.id, 1001, 2500, "pending"), (second.id, 1002, 2500, "pending")]

    approved = cli("credits", "approve", str(first.id), "--amount", "3000")
    assert approved.exit_code == 0, approved.output
    assert "+3000 credits. Balance: 13000." in approved.stdout
    assert engine.credits.balance(1001) == 13000
    entry = engine.credits.ledger(1001, limit=1)[0]
    assert (entry.amount, entry.reason, entry.actor, entry.topup_id) == (3000, "topup", CLI, first.id)

    rejected = cli("credits", "reject", str(second.id))
    assert rejected.exit_code == 0 and "Rejected top-up" in rejected.stdout
    assert engine.credits.balance(1002) == 10000
    assert engine.topups.get(second.id).decided_by == CLI

    assert cli("credits", "requests", "--json").json() == []
    everything = cli("credits", "requests", "--all", "--json").json()
    assert {(r["id"], r["status"], r["granted"]) for r in everything} == {(first.id, "approved", 3000), (second.id, "rejected", None)}

    again = cli("credits", "approve", str(first.id))
    assert again.exit_code == 2 and "already approved by cli" in again.stderr
    assert engine.credits.balance(1001) == 13000
    missing = cli("credits", "reject", "999")
    assert missing.exit_code == 2 and "No top-up request #999" in missing.stderr
    zero = cli("credits", "approve", str(second.id), "--amount", "0")
    assert zero.exit_code == 2
    assert engine.credits.discrepancies() == []


def test_users_list_search_sort_and_json(cli, engine, alice):
    engine.users.register(1002, username="bob")
    engine.credits.grant(1002, 700, actor="cli")
    rows = cli("users", "list", "--sort", "balance", "--desc", "--json").json()
    assert [r["id"] for r in rows] == [1002, 1001]
    assert rows[0]["balance"] == 10700 and rows[0]["generations"] == 0
    assert [r["id"] for r in cli("users", "list", "--search", "ali", "--json").json()] == [1001]
    limited = cli("users", "list", "--limit", "1")
    assert limited.exit_code == 0 and "Showing 1 of 2 users" in limited.stderr
    bad = cli("users", "list", "--sort", "nonsense")
    assert bad.exit_code == 2


def test_users_show_block_unblock(cli, engine, alice):
    shown = cli("users", "show", "@alice", "--json").json()
    assert (shown["id"], shown["username"], shown["balance"], shown["blocked"], shown["generations"]) == (
        1001, "alice", 10000, False, 0)
    assert cli("users", "block", "@alice").stdout.strip() == "Blocked @alice (1001)."
    assert engine.users.get(1001).blocked
    assert cli("users", "show", "1001", "--json").json()["blocked"] is True
    assert cli("users", "unblock", "1001").exit_code == 0
    assert not engine.users.get(1001).blocked
    unknown = cli("users", "block", "555")
    assert unknown.exit_code == 2 and "No user 555" in unknown.stderr
