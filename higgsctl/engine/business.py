"""How the business is doing: figures for today, 7 and 30 days (UTC calendar days, today
included), a per-day series for the last 30 days, and what needs an admin now (the oldest
pending top-up, running generations, whether the bot is up, whether Higgsfield answers).

Every figure comes from a handful of grouped queries over the last 30 days (one per table),
bucketed per day in the database and summed per window here, so the overview stays fast on
a big database (bench/tui_screens.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from peewee import Case, fn

from .events import ACTIVE, Charge, Status
from .heartbeat import Beat, Heartbeats
from .models import Generation, LedgerEntry, Payment, TopUpRequest, User, utcnow

DAYS = 30
WINDOWS = (1, 7, 30)  # today, 7 days, 30 days
# error codes of generations that ended on Higgsfield's side (or on the way to it)
UPSTREAM_ERRORS = ("upstream_failed", "service_error", "service_auth", "service_credits", "service_busy",
                   "service_rejected", "service_not_found", "service_unavailable", "service_rate_limited",
                   "service_unreachable", "service_timeout", "timed_out", "result_gone", "result_deadline")


@dataclass(frozen=True)
class Window:
    days: int
    generations: int = 0
    completed: int = 0
    failed: int = 0  # failed or timed out
    credits_spent: int = 0  # captured holds
    credits_granted: int = 0  # admin grants and approved top-ups
    promo_credits: int = 0
    new_users: int = 0
    active_users: int = 0  # seen in the window
    stars: int = 0  # Stars paid for credits (Telegram Stars payments)
    stars_refunded: int = 0  # of those, refunded (or being refunded)


@dataclass(frozen=True)
class Running:
    id: int
    user_id: int
    model: str
    status: str
    seconds: float  # since it was submitted (or created, before that)


@dataclass(frozen=True)
class Health:
    last_success: datetime | None  # the last image Higgsfield delivered
    last_error: datetime | None  # the last generation that ended on Higgsfield's side
    last_error_code: str | None
    last_error_text: str | None


@dataclass(frozen=True)
class Figures:
    now: datetime  # what the ages below are measured from
    windows: tuple[Window, ...]  # WINDOWS, in order
    days: tuple[date, ...]  # the last 30 days, oldest first
    generations_per_day: tuple[int, ...]
    credits_per_day: tuple[int, ...]
    stars_per_day: tuple[int, ...]  # revenue: Stars paid (refunds not taken off)
    users: int
    blocked_users: int
    pending_topups: int
    oldest_topup: datetime | None
    active_generations: int
    running: tuple[Running, ...]  # longest running first (at most running_limit)
    bot: Beat | None
    higgsfield: Health


def _day(value) -> date:
    """A DATE() as either backend and peewee return it: a datetime, a date or text."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class Business:
    def __init__(self, heartbeats: Heartbeats) -> None:
        self.heartbeats = heartbeats

    def figures(self, now: datetime | None = None, running_limit: int = 20) -> Figures:
        now = now or utcnow()
        today = now.date()
        days = tuple(today - timedelta(days=n) for n in range(DAYS - 1, -1, -1))
        since = datetime.combine(days[0], datetime.min.time())
        per_day: dict[date, dict[str, int]] = {d: {} for d in days}

        def add(day, key: str, value) -> None:
            bucket = per_day.get(_day(day))
            if bucket is not None:
                bucket[key] = bucket.get(key, 0) + int(value or 0)

        created = fn.DATE(Generation.created_at)
        spent = fn.SUM(Generation.cost).filter(Generation.charge == Charge.CAPTURED)
        for day, status, count, cost in (Generation.select(created, Generation.status, fn.COUNT(Generation.id),
                                                           fn.COALESCE(spent, 0))
                                         .where(Generation.created_at >= since)
                                         .group_by(created, Generation.status).tuples()):
            add(day, "generations", count)
            add(day, "credits_spent", cost)
            if status == Status.COMPLETED:
                add(day, "completed", count)
            elif status in (Status.FAILED, Status.TIMED_OUT):
                add(day, "failed", count)
        booked = fn.DATE(LedgerEntry.created_at)
        for day, reason, amount in (LedgerEntry.select(booked, LedgerEntry.reason, fn.SUM(LedgerEntry.amount))
                                    .where((LedgerEntry.created_at >= since)
                                           & LedgerEntry.reason.in_(("grant", "topup", "promo")))
                                    .group_by(booked, LedgerEntry.reason).tuples()):
            add(day, "promo_credits" if reason == "promo" else "credits_granted", amount)
        paid = fn.DATE(Payment.created_at)
        refunded = fn.SUM(Payment.stars).filter(Payment.status.in_(("refunding", "refunded")))
        for day, stars, back in (Payment.select(paid, fn.SUM(Payment.stars), fn.COALESCE(refunded, 0))
                                 .where(Payment.created_at >= since).group_by(paid).tuples()):
            add(day, "stars", stars)
            add(day, "stars_refunded", back)
        joined = fn.DATE(User.created_at)
        for day, count in (User.select(joined, fn.COUNT(User.id)).where(User.created_at >= since)
                           .group_by(joined).tuples()):
            add(day, "new_users", count)

        seen = [fn.SUM(Case(None, [(User.last_seen_at >= datetime.combine(days[-n], datetime.min.time()), 1)], 0))
                for n in WINDOWS]
        users, blocked, *active = (User.select(fn.COUNT(User.id), fn.SUM(Case(None, [(User.blocked, 1)], 0)), *seen)
                                   .tuples().get())
        windows = tuple(
            Window(days=n, active_users=int(active[i] or 0),
                   **{k: sum(per_day[d].get(k, 0) for d in days[-n:])
                      for k in ("generations", "completed", "failed", "credits_spent", "credits_granted",
                                "promo_credits", "new_users", "stars", "stars_refunded")})
            for i, n in enumerate(WINDOWS)
        )
        pending = TopUpRequest.select(fn.COUNT(TopUpRequest.id), fn.MIN(TopUpRequest.created_at)).where(
            TopUpRequest.status == "pending").tuples().get()
        return Figures(
            now=now, windows=windows, days=days,
            generations_per_day=tuple(per_day[d].get("generations", 0) for d in days),
            credits_per_day=tuple(per_day[d].get("credits_spent", 0) for d in days),
            stars_per_day=tuple(per_day[d].get("stars", 0) for d in days),
            users=int(users or 0), blocked_users=int(blocked or 0),
            pending_topups=int(pending[0] or 0), oldest_topup=pending[1],
            active_generations=Generation.select().where(Generation.status.in_(ACTIVE)).count(),
            running=self.running(now, running_limit), bot=self.heartbeats.get("bot"),
            higgsfield=self.health(),
        )

    def running(self, now: datetime, limit: int) -> tuple[Running, ...]:
        started = fn.COALESCE(Generation.submitted_at, Generation.created_at)
        rows = (Generation.select(Generation.id, Generation.user, Generation.model, Generation.status,
                                  started.alias("started"))
                .where(Generation.status.in_(ACTIVE)).order_by(started).limit(limit).tuples())
        return tuple(Running(gid, uid, model, status, max(0.0, (now - began).total_seconds()))
                     for gid, uid, model, status, began in rows)

    def health(self, recent: int = 50) -> Health:
        """From the newest generations by id (the primary key: no scan of the whole table);
        among the last ``recent`` of each kind the latest finish wins, since jobs finish out
        of order."""
        success = (Generation.select(Generation.finished_at).where(Generation.status == Status.COMPLETED)
                   .order_by(Generation.id.desc()).limit(recent).tuples())
        errors = (Generation.select(Generation.finished_at, Generation.error_code, Generation.error)
                  .where(Generation.error_code.in_(UPSTREAM_ERRORS) & Generation.finished_at.is_null(False))
                  .order_by(Generation.id.desc()).limit(recent).tuples())
        last_success = max((at for (at,) in success if at is not None), default=None)
        last_error = max(errors, key=lambda row: row[0], default=(None, None, None))
        return Health(last_success, *last_error)
