"""Read-only queries over generations and the ledger: history lists and dashboard figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from peewee import fn

from .db import contains_folded
from .models import Generation, TopUpRequest, User, utcnow


@dataclass(frozen=True)
class HistoryFilter:
    user_id: int | None = None
    model: str | None = None
    status: str | None = None
    text: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class Period:
    generations: int
    completed: int
    failed: int
    nsfw: int
    credits_spent: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.generations if self.generations else 0.0

    @property
    def nsfw_rate(self) -> float:
        return self.nsfw / self.generations if self.generations else 0.0


@dataclass(frozen=True)
class Overview:
    users: int
    blocked_users: int
    active_generations: int
    pending_topups: int
    today: Period
    week: Period


class History:
    def _filtered(self, f: HistoryFilter):
        query = Generation.select(Generation, User).join(User)
        if f.user_id is not None:
            query = query.where(Generation.user == f.user_id)
        if f.model:
            query = query.where(Generation.model == f.model)
        if f.status:
            query = query.where(Generation.status == f.status)
        if f.text:
            query = query.where(contains_folded(Generation.prompt_folded, f.text))
        return query

    def list(self, f: HistoryFilter = HistoryFilter()) -> list[Generation]:
        return list(self._filtered(f).order_by(Generation.id.desc()).limit(f.limit).offset(f.offset))

    def count(self, f: HistoryFilter = HistoryFilter()) -> int:
        return self._filtered(f).count()

    def overview(self) -> Overview:
        from .generations import ACTIVE

        now = utcnow()
        return Overview(
            users=User.select().count(),
            blocked_users=User.select().where(User.blocked == True).count(),  # noqa: E712
            active_generations=Generation.select().where(Generation.status.in_(ACTIVE)).count(),
            pending_topups=TopUpRequest.select().where(TopUpRequest.status == "pending").count(),
            today=self.period(now - timedelta(days=1)),
            week=self.period(now - timedelta(days=7)),
        )

    def period(self, since) -> Period:
        rows = dict(
            Generation.select(Generation.status, fn.COUNT(Generation.id))
            .where(Generation.created_at >= since)
            .group_by(Generation.status)
            .tuples()
        )
        spent = (
            Generation.select(fn.COALESCE(fn.SUM(Generation.cost), 0))
            .where((Generation.created_at >= since) & (Generation.charge == "captured"))
            .scalar()
        )
        return Period(
            generations=sum(rows.values()),
            completed=rows.get("completed", 0),
            failed=rows.get("failed", 0) + rows.get("timed_out", 0),
            nsfw=rows.get("nsfw", 0),
            credits_spent=int(spent or 0),
        )
