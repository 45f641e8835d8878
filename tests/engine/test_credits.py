"""Money semantics: holds, captures, releases, grants and top-ups, on SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from higgsctl.engine import InsufficientCredits, InvalidInput, NotFound, TopUpAlreadyDecided, TopUpPending, UserBlocked
from higgsctl.engine.models import Generation, database


def hold(engine, user_id, cost=50):
    import uuid

    return engine.generations.rows.hold(user_id, cost, model="nano-banana", prompt="p", aspect_ratio="1:1",
                                        idempotency_key=uuid.uuid4().hex)


def test_signup_grants_initial_credits_once(any_engine):
    user, created = any_engine.users.register(1, username="ann", first_name="Ann")
    again, created_again = any_engine.users.register(1, username="ann2", first_name="Ann")
    assert created and not created_again
    assert again.balance == 10000 and again.username == "ann2"
    assert [(e.amount, e.reason) for e in any_engine.credits.ledger(1)] == [(10000, "signup")]
    assert any_engine.credits.discrepancies() == []


def test_hold_then_capture_or_release_exactly_once(any_engine):
    any_engine.users.register(1)
    a, b = hold(any_engine, 1), hold(any_engine, 1)
    assert any_engine.credits.balance(1) == 9900
    assert any_engine.generations.rows.capture(a.id) is True
    assert any_engine.generations.rows.capture(a.id) is False
    assert any_engine.generations.rows.release(a.id, "failed") is False  # captured stays captured
    assert any_engine.generations.rows.release(b.id, "failed") is True
    assert any_engine.generations.rows.release(b.id, "failed") is False
    assert any_engine.generations.rows.capture(b.id) is False
    assert any_engine.credits.balance(1) == 9950
    assert any_engine.credits.discrepancies() == []


def test_hold_never_overdraws(any_engine, settings):
    any_engine.users.register(1)
    any_engine.users.register(2)
    from higgsctl.engine.models import User

    User.update(balance=40).where(User.id == 1).execute()  # desync on purpose: detected below
    with pytest.raises(InsufficientCredits) as info:
        hold(any_engine, 1)
    assert info.value.balance == 40 and info.value.needed == 50
    assert any_engine.credits.balance(1) == 40
    assert Generation.select().count() == 0
    assert any_engine.credits.discrepancies() == [(1, 40, 10000)]


def test_blocked_and_unknown_users_cannot_hold(any_engine):
    any_engine.users.register(1)
    any_engine.users.set_blocked(1, True)
    with pytest.raises(UserBlocked):
        hold(any_engine, 1)
    with pytest.raises(NotFound):
        hold(any_engine, 999)
    assert any_engine.credits.balance(1) == 10000


def test_concurrent_holds_spend_exactly_the_balance(any_engine):
    """50 threads race for a balance that covers 7 holds: exactly 7 win, none overdraw."""
    from higgsctl.engine.models import LedgerEntry, User

    any_engine.users.register(1)
    # Bring the balance to 351 (not a multiple of 50) through the ledger so the books stay right.
    with database.obj.atomic():
        User.update(balance=351).where(User.id == 1).execute()
        LedgerEntry.create(user=1, amount=351 - 10000, reason="grant", actor="test")

    def attempt(_):
        try:
            hold(any_engine, 1)
            return True
        except InsufficientCredits:
            return False
        finally:
            database.obj.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(attempt, range(50)))
    assert results.count(True) == 7
    assert any_engine.credits.balance(1) == 1
    assert any_engine.credits.discrepancies() == []


def test_grant_validates_amounts(any_engine):
    any_engine.users.register(1)
    for bad in (0, -5, 2.5, "10"):
        with pytest.raises(InvalidInput):
            any_engine.credits.grant(1, bad, actor="admin:1")
    with pytest.raises(NotFound):
        any_engine.credits.grant(404, 10, actor="admin:1")
    assert any_engine.credits.grant(1, 500, actor="admin:1", note="bonus") == 10500
    entry = any_engine.credits.ledger(1)[0]
    assert (entry.amount, entry.reason, entry.actor, entry.note) == (500, "grant", "admin:1", "bonus")


def test_topup_flow_is_decided_exactly_once(any_engine):
    any_engine.users.register(1)
    first = any_engine.topups.request(1)
    assert first.amount == 2500
    with pytest.raises(TopUpPending):
        any_engine.topups.request(1)
    approved = any_engine.topups.approve(first.id, actor="admin:9", amount=3000)
    assert (approved.status, approved.granted, approved.decided_by) == ("approved", 3000, "admin:9")
    with pytest.raises(InvalidInput):
        any_engine.topups.approve(first.id, actor="admin:8")
    with pytest.raises(InvalidInput):
        any_engine.topups.reject(first.id, actor="admin:8")
    assert any_engine.credits.balance(1) == 13000

    second = any_engine.topups.request(1)
    assert any_engine.topups.reject(second.id, actor="tui").status == "rejected"
    assert any_engine.credits.balance(1) == 13000
    assert [t.id for t in any_engine.topups.undelivered_decisions()] == [first.id, second.id]
    assert any_engine.topups.claim_notification(first.id) is True
    assert any_engine.topups.claim_notification(first.id) is False
    assert any_engine.credits.discrepancies() == []


@pytest.mark.parametrize("first", ["approve", "reject"])
@pytest.mark.parametrize("second", ["approve", "reject"])
def test_a_second_decision_is_typed_already_decided_and_moves_nothing(any_engine, first, second):
    any_engine.users.register(1)
    topup = any_engine.topups.request(1)
    getattr(any_engine.topups, first)(topup.id, actor="admin:9")
    balance = any_engine.credits.balance(1)
    with pytest.raises(TopUpAlreadyDecided) as caught:
        getattr(any_engine.topups, second)(topup.id, actor="admin:8")
    status = {"approve": "approved", "reject": "rejected"}[first]
    error = caught.value
    assert (error.code, error.request_id, error.status, error.decided_by) == ("topup_decided", topup.id, status, "admin:9")
    assert error.message == f"Top-up request #{topup.id} was already {status} by admin:9."
    assert isinstance(error, InvalidInput)  # still bad input to whoever pressed second
    assert any_engine.credits.balance(1) == balance and any_engine.credits.discrepancies() == []


def test_concurrent_approvals_grant_once(any_engine):
    any_engine.users.register(1)
    topup = any_engine.topups.request(1)

    def approve(actor):
        try:
            any_engine.topups.approve(topup.id, actor=actor)
            return True
        except InvalidInput:
            return False
        finally:
            database.obj.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(pool.map(approve, [f"admin:{i}" for i in range(8)]))
    assert wins.count(True) == 1
    assert any_engine.credits.balance(1) == 12500
    assert any_engine.credits.discrepancies() == []


def test_resolve_by_id_or_username(any_engine):
    any_engine.users.register(5, username="Bob")
    assert any_engine.users.resolve("@bob").id == 5
    assert any_engine.users.resolve("5").id == 5
    with pytest.raises(NotFound):
        any_engine.users.resolve("@nobody")
    with pytest.raises(InvalidInput):
        any_engine.users.resolve("bob; drop table")
