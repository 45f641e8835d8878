"""The audit trail: every admin action writes one entry in the transaction of its change, a
refused action writes none; refunds happen once, resends reset delivery once."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from higgsctl.engine import AdminAct, AuditFilter, InvalidInput, NotFound, TopUpAlreadyDecided
from higgsctl.engine import audit as audit_module
from higgsctl.engine.models import AuditEntry, Generation, LedgerEntry

ANN = 1
ADMIN = AdminAct("cli:ops as Ann", "asked twice")


@pytest.fixture
def engine(any_engine):
    any_engine.users.register(ANN, username="ann")
    return any_engine


def entries(engine, **f) -> list[AuditEntry]:
    return engine.audit.list(AuditFilter(limit=1000, **f))


def completed(engine, *, source="bot", delivered=True) -> Generation:
    """A finished, charged generation as the pipeline leaves it."""
    rows = engine.generations.rows
    generation = rows.hold(ANN, 50, model="nano-banana", prompt="fox", aspect_ratio="1:1", source=source,
                           chat_id=ANN if source == "bot" else None)
    rows.finish(generation.id, "completed", files=["results/x.png"])
    if delivered:
        rows.mark_part_delivered(generation.id, 1)
        rows.mark_delivered(generation.id)
    return rows.get(generation.id)


def test_grant_records_who_before_and_after(engine):
    assert engine.credits.grant(ANN, 500, actor="admin:7 (@boss)", note="contest") == 10500
    [entry] = entries(engine, action="grant")
    assert (entry.actor, entry.user_id, entry.target, entry.reason) == ("admin:7 (@boss)", ANN, "user:1", "contest")
    assert entry.before == {"balance": 10000} and entry.after == {"balance": 10500, "amount": 500}
    assert LedgerEntry.get(LedgerEntry.reason == "grant").actor == "admin:7 (@boss)"


@pytest.mark.parametrize("user, amount", [(ANN, 0), (ANN, -5), (ANN, 10**9), (404, 10)])
def test_refused_grant_records_nothing(engine, user, amount):
    with pytest.raises((InvalidInput, NotFound)):
        engine.credits.grant(user, amount, actor="cli:ops")
    assert entries(engine) == []


def test_a_failing_audit_write_undoes_the_change(engine, monkeypatch):
    """Same transaction: if the entry can't be written, the credits don't move either."""
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_module, "record", broken)
    with pytest.raises(RuntimeError):
        engine.credits.grant(ANN, 500, actor="cli:ops")
    with pytest.raises(RuntimeError):
        engine.users.set_blocked(ANN, True, actor="cli:ops")
    assert engine.credits.balance(ANN) == 10000 and not engine.users.get(ANN).blocked
    assert engine.credits.discrepancies() == []


def test_topup_decisions_are_recorded_once_with_the_reason(engine):
    first = engine.topups.request(ANN)
    engine.topups.approve(first.id, actor="tui:ops", amount=3000)
    with pytest.raises(TopUpAlreadyDecided):
        engine.topups.reject(first.id, actor="cli:ops", reason="late")
    second = engine.topups.request(ANN)
    rejected = engine.topups.reject(second.id, actor="cli:ops", reason="  not paid  ", share_reason=True)
    assert (rejected.reason, rejected.reason_shared) == ("not paid", True)
    approve, reject = entries(engine, action="topup_approve"), entries(engine, action="topup_reject")
    assert len(approve) == 1 and approve[0].after == {"status": "approved", "balance": 13000, "granted": 3000}
    assert len(reject) == 1 and reject[0].reason == "not paid" and reject[0].target == f"topup:{second.id}"
    third = engine.topups.request(ANN)
    quiet = engine.topups.reject(third.id, actor="cli:ops", share_reason=True)  # nothing to share
    assert (quiet.reason, quiet.reason_shared) == (None, False)


def test_block_and_unblock_record_the_reason_and_no_op_records_nothing(engine):
    engine.users.set_blocked(ANN, True, actor="admin:7 (@boss)", reason="spam [b]x[/b]")
    engine.users.set_blocked(ANN, True, actor="admin:7 (@boss)")  # already blocked: nothing changes
    engine.users.set_blocked(ANN, False, actor="cli:ops")
    block, unblock = entries(engine, action="block"), entries(engine, action="unblock")
    assert [(e.before, e.after, e.reason) for e in block] == [({"blocked": False}, {"blocked": True}, "spam [b]x[/b]")]
    assert [e.actor for e in unblock] == ["cli:ops"]
    assert [e.action for e in entries(engine, user_id=ANN)] == ["unblock", "block"]  # newest first


def test_promo_create_and_disable(engine):
    engine.promos.create("SPRING", 100, 5, actor="cli:ops")
    with pytest.raises(InvalidInput):
        engine.promos.create("spring", 100, 5, actor="cli:ops")
    assert engine.promos.disable("spring", actor="tui:ops") and not engine.promos.disable("SPRING", actor="tui:ops")
    assert [(e.action, e.target) for e in entries(engine)] == [("promo_disable", "promo:SPRING"),
                                                              ("promo_create", "promo:SPRING")]


def test_refund_gives_the_credits_back_once(engine):
    generation = completed(engine)
    assert engine.credits.balance(ANN) == 9950
    assert engine.generations.refund(generation.id, ADMIN) == 10000
    with pytest.raises(InvalidInput) as again:
        engine.generations.refund(generation.id, ADMIN)
    assert again.value.code == "refund_already"
    assert engine.generations.get(generation.id).charge == "refunded"
    [ledger] = LedgerEntry.select().where(LedgerEntry.reason == "refund")
    assert (ledger.amount, ledger.actor, ledger.generation_id, ledger.note) == (50, ADMIN.actor, generation.id, "asked twice")
    [entry] = entries(engine, action="refund")
    assert entry.before == {"charge": "captured", "balance": 9950} and entry.after["balance"] == 10000
    assert engine.credits.discrepancies() == []


def test_refunds_racing_from_threads_pay_once(engine):
    generation = completed(engine)
    outcomes: list[object] = []

    def refund():
        with engine.db.connection_context():
            try:
                outcomes.append(engine.generations.refund(generation.id, ADMIN))
            except InvalidInput as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=refund) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["10000"] + ["refund_already"] * 5
    assert len(entries(engine, action="refund")) == 1 and engine.credits.discrepancies() == []


def test_only_completed_charged_generations_refund(engine):
    rows = engine.generations.rows
    running = rows.hold(ANN, 50, model="nano-banana", prompt="x", aspect_ratio="1:1")
    failed = rows.hold(ANN, 50, model="nano-banana", prompt="x", aspect_ratio="1:1")
    rows.finish(failed.id, "failed", "boom")
    for gid in (running.id, failed.id):
        with pytest.raises(InvalidInput) as refused:
            engine.generations.refund(gid, ADMIN)
        assert refused.value.code == "refund_refused"
    with pytest.raises(NotFound):
        engine.generations.refund(999, ADMIN)
    assert entries(engine) == [] and engine.credits.balance(ANN) == 9950


def test_resend_marks_a_delivered_bot_result_undelivered_once(engine):
    generation = completed(engine)
    engine.generations.request_resend(generation.id, ADMIN)
    again = engine.generations.get(generation.id)
    assert (again.delivered_at, again.delivered_parts) == (None, 0)
    assert [g.id for g in engine.generations.undelivered("bot")] == [generation.id]
    with pytest.raises(InvalidInput) as twice:  # not delivered again yet
        engine.generations.request_resend(generation.id, ADMIN)
    assert twice.value.code == "resend_refused"
    for other in (completed(engine, source="cli"), completed(engine, delivered=False)):
        with pytest.raises(InvalidInput):
            engine.generations.request_resend(other.id, ADMIN)
    [entry] = entries(engine, action="resend")
    assert entry.after == {"delivered_at": None} and isinstance(datetime.fromisoformat(entry.before["delivered_at"]), datetime)


async def test_cancel_by_an_admin_is_recorded_with_the_release(engine):
    rows = engine.generations.rows
    queued = rows.hold(ANN, 50, model="nano-banana", prompt="x", aspect_ratio="1:1")
    assert await engine.generations.cancel(queued.id, ADMIN)
    assert not await engine.generations.cancel(queued.id, ADMIN)  # already over: nothing recorded
    [entry] = entries(engine, action="cancel")
    assert entry.target == f"generation:{queued.id}" and entry.after["released"] == 50
    assert engine.credits.balance(ANN) == 10000


def test_actor_names(monkeypatch):
    monkeypatch.setattr(audit_module.getpass, "getuser", lambda: "ops")
    assert audit_module.operator_actor("cli") == "cli:ops"
    assert audit_module.operator_actor("tui", "  Ann\nB  ") == "tui:ops as Ann B"
    assert audit_module.bot_actor(7, "boss") == "admin:7 (@boss)"
    assert audit_module.bot_actor(7, None, "Boss Man") == "admin:7 (Boss Man)"
    assert audit_module.bot_actor(7) == "admin:7"

    def no_user():
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr(audit_module.getpass, "getuser", no_user)
    assert audit_module.operator_actor("cli", "x" * 200) == "cli:? as " + "x" * 64


def test_broadcast_created_paused_and_canceled_are_recorded(engine):
    report = engine.broadcasts.create("hello [b]all[/b]", "all", actor="cli:ops")
    bid = report.broadcast.id
    assert engine.broadcasts.set_status(bid, "paused", actor="tui:ops")
    assert not engine.broadcasts.set_status(bid, "paused", actor="tui:ops")  # already paused: nothing recorded
    assert engine.broadcasts.set_status(bid, "canceled", actor="cli:ops")
    assert [(e.action, e.actor, e.before, e.after) for e in entries(engine)] == [
        ("broadcast_cancel", "cli:ops", {"status": "paused"}, {"status": "canceled"}),
        ("broadcast_pause", "tui:ops", {"status": "queued"}, {"status": "paused"}),
        ("broadcast", "cli:ops", None, {"audience": "all", "photo": False, "paid": False, "text": "hello [b]all[/b]"}),
    ]
