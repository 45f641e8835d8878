"""Leases: which process drives which job, when several share one database.

A process claims a job's lease before it runs it and renews its leases every ``ttl / 3``
seconds; a lease not renewed for ``ttl`` seconds (the process died, or is wedged) can be taken
by any other process, which resumes the job from its row: from its request id if it was
submitted (never submitted twice: the submit itself is claimed in the row), charging once
(the settle is conditional) and delivering once (delivery is claimed too). A process that
stops cleanly hands its leases back, so another one takes over at once.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from . import fastsql
from .events import ACTIVE
from .models import Generation, utcnow

TTL = 20.0  # seconds; the takeover time is at most this (plus one look for orphans)
CLAIM = ('UPDATE "generation" SET "lease_owner" = ?, "lease_until" = ? WHERE "id" = ? AND "status" IN ('
         + ", ".join("?" for _ in ACTIVE) + ') AND ("lease_owner" IS NULL OR "lease_owner" = ? OR "lease_until" < ?)')


def process_name(role: str = "engine", *, unique: bool = False) -> str:
    """The name a process's leases carry: ``HIGGSCTL_PROCESS_NAME``, else host and role. The
    same name after a restart reclaims the jobs at once (a restarted bot, `higgsctl resume`);
    ``unique`` (workers, of which a host may run several) adds the pid."""
    name = os.environ.get("HIGGSCTL_PROCESS_NAME")
    if name:
        return name[:200]
    base = f"{socket.gethostname()}:{role}"
    return f"{base}:{os.getpid()}" if unique else base


class Leases:
    def __init__(self, owner: str | None = None, ttl: float = TTL) -> None:
        self.owner = owner or process_name()
        self.ttl = ttl

    def claim(self, generation_id: int) -> bool:
        """Take the job's lease if it is free, expired or already ours."""
        now, until = utcnow(), Generation.lease_until.db_value
        return bool(fastsql.execute(CLAIM, self.owner, until(now + timedelta(seconds=self.ttl)), generation_id,
                                    *ACTIVE, self.owner, until(now)))

    def renew(self) -> int:
        """Extend every lease this process holds on a running job; how many."""
        return Generation.update(lease_until=utcnow() + timedelta(seconds=self.ttl)).where(
            (Generation.lease_owner == self.owner) & Generation.status.in_(ACTIVE)).execute()

    def give_back(self, generation_id: int | None = None) -> int:
        """Hand a lease (or all of ours) back for another process to take at once."""
        query = (Generation.lease_owner == self.owner) & Generation.status.in_(ACTIVE)
        if generation_id is not None:
            query &= (Generation.id == generation_id)
        return Generation.update(lease_owner=None, lease_until=None).where(query).execute()

    def lease(self) -> dict:
        """The lease columns of a job this process creates (it drives it from birth)."""
        return {"lease_owner": self.owner, "lease_until": utcnow() + timedelta(seconds=self.ttl)}

    def orphans(self, source: str | None = None, limit: int = 100) -> list[int]:
        """Running jobs nobody drives, oldest first: their lease expired (the process died)
        or was handed back (it stopped cleanly), or they never had one (rows from before
        leases existed). A job is leased from its creation, so a job still waiting in its
        creator's queue is never taken from it."""
        now = utcnow()
        query = Generation.select(Generation.id).where(
            Generation.status.in_(ACTIVE)
            & (Generation.lease_owner.is_null()
               | ((Generation.lease_until < now) & (Generation.lease_owner != self.owner))))
        if source is not None:
            query = query.where(Generation.source == source)
        # Jobs holding one of the account's slots first: until someone follows them, the slot
        # stays taken for every process.
        return [gid for (gid,) in query.order_by(Generation.slot_held.desc(), Generation.id).limit(limit).tuples()]

    @staticmethod
    def holding_slots(ids: list[int]) -> set[int]:
        if not ids:
            return set()
        return {gid for (gid,) in Generation.select(Generation.id).where(
            Generation.id.in_(ids) & Generation.slot_held).tuples()}

    def mine(self, source: str | None = None) -> list[int]:
        query = Generation.select(Generation.id).where((Generation.lease_owner == self.owner)
                                                       & Generation.status.in_(ACTIVE))
        if source is not None:
            query = query.where(Generation.source == source)
        return [gid for (gid,) in query.order_by(Generation.id).tuples()]
