"""The dashboard's business figures, on SQLite and PostgreSQL: windows of 1/7/30 calendar
days, the 30-day series, and what needs an admin now."""

from datetime import datetime, timedelta

from higgsctl.engine.events import Status
from higgsctl.engine.models import Generation, Heartbeat, LedgerEntry, Payment, TopUpRequest, User

NOW = datetime(2026, 12, 5, 10, 0)


def generation(engine, user_id, days_ago: float, status=None, cost=50, error_code=None):
    g = engine.generations.rows.hold(user_id, cost, model="nano-banana", prompt="p", aspect_ratio="1:1")
    if status is not None:
        engine.generations.finish(g.id, status, error_code=error_code)
    at = NOW - timedelta(days=days_ago)
    Generation.update(created_at=at, finished_at=at if status else None).where(Generation.id == g.id).execute()
    return g


def test_figures_per_window_and_day(any_engine):
    e = any_engine
    for uid in (1, 2, 3):
        e.users.register(uid)
    User.update(created_at=NOW - timedelta(days=40), last_seen_at=NOW - timedelta(days=40)).execute()
    User.update(created_at=NOW - timedelta(hours=2), last_seen_at=NOW).where(User.id == 3).execute()
    User.update(last_seen_at=NOW - timedelta(days=5)).where(User.id == 2).execute()
    generation(e, 1, 0.1, Status.COMPLETED)
    generation(e, 1, 0.2, Status.FAILED, error_code="upstream_failed")
    generation(e, 2, 3, Status.COMPLETED)
    generation(e, 2, 3, Status.TIMED_OUT, error_code="timed_out")
    generation(e, 2, 20, Status.COMPLETED, cost=70)
    generation(e, 2, 45, Status.COMPLETED)  # outside every window
    running = generation(e, 3, 0.05)  # held, still running
    e.credits.grant(1, 500, actor="cli")
    e.promos.create("GIFT", 30, 9, actor="cli")
    e.promos.redeem(2, "gift")
    LedgerEntry.update(created_at=NOW - timedelta(hours=1)).where(LedgerEntry.reason.in_(("grant", "promo"))).execute()
    e.topups.request(2)
    TopUpRequest.update(created_at=NOW - timedelta(minutes=42)).execute()
    for charge, stars, days_ago, status in (("c1", 100, 0.2, "credited"), ("c2", 250, 2, "refunded"),
                                            ("c3", 500, 40, "credited")):
        Payment.create(charge_id=charge, user=1, pack="p", stars=stars, credits=1, payload="x", status=status,
                       created_at=NOW - timedelta(days=days_ago))

    f = e.business.figures(NOW)
    today, week, month = f.windows
    assert (today.generations, today.completed, today.failed, today.credits_spent) == (3, 1, 1, 50)
    assert (week.generations, week.completed, week.failed, week.credits_spent) == (5, 2, 2, 100)
    assert (month.generations, month.completed, month.credits_spent) == (6, 3, 170)
    assert (today.credits_granted, today.promo_credits, month.credits_granted) == (500, 30, 500)
    assert (today.new_users, month.new_users) == (1, 1)
    assert (today.stars, week.stars, month.stars, week.stars_refunded) == (100, 350, 350, 250)
    assert f.stars_per_day[-1] == 100 and f.stars_per_day[-3] == 250
    assert (today.active_users, week.active_users, month.active_users) == (1, 2, 2)
    assert len(f.days) == 30 and f.days[-1] == NOW.date()
    assert f.generations_per_day[-1] == 3 and f.generations_per_day[-4] == 2 and sum(f.generations_per_day) == 6
    assert f.credits_per_day[-21] == 70
    assert (f.users, f.blocked_users, f.pending_topups) == (3, 0, 1)
    assert f.oldest_topup == NOW - timedelta(minutes=42)
    assert [r.id for r in f.running] == [running.id]
    assert f.higgsfield.last_error_code == "upstream_failed"
    assert f.higgsfield.last_success == NOW - timedelta(days=0.1)


def test_an_empty_database_has_zero_figures(any_engine):
    f = any_engine.business.figures(NOW)
    assert all(w.generations == 0 and w.active_users == 0 for w in f.windows)
    assert f.oldest_topup is None and f.running == () and f.bot is None
    assert f.higgsfield.last_success is None and f.higgsfield.last_error is None


def test_the_bots_heartbeat_says_up_stale_or_stopped(any_engine):
    beats = any_engine.heartbeats
    beats.started("bot")
    beat = beats.get("bot")
    assert beat.up() and beat.version
    Heartbeat.update(beat_at=beat.beat_at - timedelta(minutes=5)).execute()
    assert not beats.get("bot").up()  # missed its beats: a crash
    beats.beat("bot")
    assert beats.get("bot").up()
    beats.stopped("bot")
    assert not beats.get("bot").up() and beats.get("bot").stopped_at is not None
    beats.started("bot")  # a restart replaces the row
    assert beats.get("bot").up() and Heartbeat.select().count() == 1
