"""Broadcasts in the engine, on SQLite and PostgreSQL: the audience fixed at creation, claims
that never hand one recipient out twice, and a crash mid-send that never re-sends."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from higgsctl.engine import InvalidInput
from higgsctl.engine.models import BroadcastRecipient, User, utcnow


@pytest.fixture
def people(any_engine):
    e = any_engine
    for uid, lang in ((1, "en"), (2, "ru"), (3, "ru"), (4, "en"), (5, "en")):
        e.users.register(uid, language=lang)
    User.update(last_seen_at=utcnow() - timedelta(days=40)).where(User.id.in_((4, 5))).execute()
    User.update(balance=0).where(User.id == 5).execute()
    e.users.set_blocked(4, True)
    e.users.operator()  # the CLI's own account is nobody to message
    return e


@pytest.mark.parametrize("audience, expected", [
    ("all", {1, 2, 3, 5}), ("ALL ", {1, 2, 3, 5}), ("active:7", {1, 2, 3}), ("lang:ru", {2, 3}),
    ("balance", {1, 2, 3}), ("paid", set()),
])
def test_audiences(people, audience, expected):
    report = people.broadcasts.create("hello", audience, actor="cli")
    ids = {r.user_id for r in BroadcastRecipient.select().where(BroadcastRecipient.broadcast == report.broadcast.id)}
    assert ids == expected and people.broadcasts.count(audience) == len(expected)
    assert report.counts["pending"] == len(expected)


@pytest.mark.parametrize("audience", ["everyone", "active:0", "active:x", "lang:eng", "lang:", "", "all; drop"])
def test_unknown_audiences_are_refused(people, audience):
    with pytest.raises(InvalidInput):
        people.broadcasts.create("hello", audience, actor="cli")


@pytest.mark.parametrize("text", ["", "   ", "x" * 4097, "😀" * 2049])
def test_text_limits_count_as_telegram_counts(people, text):
    with pytest.raises(InvalidInput):
        people.broadcasts.create(text, "all", actor="cli")


def test_claims_hand_each_recipient_out_once_and_the_broadcast_ends_done(people):
    for uid in range(10, 130):
        people.users.register(uid)
    report = people.broadcasts.create("hello", "all", actor="cli")
    bid = report.broadcast.id
    assert people.broadcasts.next_open().id == bid

    def drain(_):
        got = []
        while batch := people.broadcasts.claim(bid, limit=7):
            got += batch
            for rid, _ in batch:
                people.broadcasts.sent(rid)
        return got

    with ThreadPoolExecutor(4) as pool:
        claimed = [r for batch in pool.map(drain, range(4)) for r in batch]
    assert len(claimed) == len(set(claimed)) == report.total
    final = people.broadcasts.report(bid)
    assert final.counts["sent"] == report.total and final.broadcast.status == "done"
    assert people.broadcasts.next_open() is None


def test_a_crash_mid_send_is_never_resent_and_blocked_users_are_skipped_later(people):
    bid = people.broadcasts.create("hello", "all", actor="cli").broadcast.id
    people.broadcasts.next_open()
    (r1, u1), (r2, u2), *rest = people.broadcasts.claim(bid, limit=3)
    people.broadcasts.sent(r1)
    people.broadcasts.blocked(r2, u2)
    assert people.broadcasts.recover() == len(rest)  # the process died with these mid-send
    counts = people.broadcasts.report(bid).counts
    assert (counts["sent"], counts["blocked"], counts["unknown"], counts["sending"]) == (1, 1, len(rest), 0)
    again = people.broadcasts.create("second", "all", actor="cli")
    assert u2 not in {r.user_id for r in again.broadcast.recipients}


def test_pause_resume_cancel(people):
    bid = people.broadcasts.create("hello", "all", actor="cli").broadcast.id
    assert people.broadcasts.set_status(bid, "paused")
    assert people.broadcasts.next_open() is None and people.broadcasts.claim(bid) == []
    assert people.broadcasts.set_status(bid, "queued")
    assert people.broadcasts.next_open().id == bid
    assert people.broadcasts.set_status(bid, "canceled") and not people.broadcasts.set_status(bid, "queued")
    assert people.broadcasts.claim(bid) == [] and people.broadcasts.report(bid).counts["pending"] == 4


def test_a_user_who_comes_back_is_seen_and_no_longer_counted_as_blocking_the_bot(people):
    bid = people.broadcasts.create("hello", "all", actor="cli").broadcast.id
    people.broadcasts.next_open()
    (rid, uid), *_ = people.broadcasts.claim(bid, limit=1)
    people.broadcasts.blocked(rid, uid)
    assert people.broadcasts.count("all") == 3
    User.update(last_seen_at=utcnow() - timedelta(days=9)).where(User.id == uid).execute()
    people.users.seen(uid)
    assert people.broadcasts.count("all") == 4 and people.broadcasts.count("active:7") >= 1
    assert people.users.get(uid).last_seen_at > utcnow() - timedelta(minutes=1)
