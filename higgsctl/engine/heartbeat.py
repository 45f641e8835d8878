"""Heartbeats: a long-running process (the bot) writes a row now and then, so a dashboard in
another process can say whether it is up, since when, and which version it runs."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from .db import write_transaction
from .models import Heartbeat, database, utcnow

EVERY = 30.0  # seconds between two beats
STALE = timedelta(seconds=3 * EVERY)  # a process that missed three beats is down


@dataclass(frozen=True)
class Beat:
    name: str
    host: str
    pid: int
    version: str
    started_at: datetime
    beat_at: datetime
    stopped_at: datetime | None

    def up(self, now: datetime | None = None) -> bool:
        return self.stopped_at is None and (now or utcnow()) - self.beat_at < STALE


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("higgsctl")
    except PackageNotFoundError:
        return "unknown"


class Heartbeats:
    def started(self, name: str) -> None:
        now = utcnow()
        row = dict(host=socket.gethostname(), pid=os.getpid(), version=version(), started_at=now, beat_at=now,
                   stopped_at=None)
        with write_transaction(database.obj):
            if not Heartbeat.update(**row).where(Heartbeat.name == name).execute():
                Heartbeat.create(name=name, **row)

    def beat(self, name: str) -> None:
        Heartbeat.update(beat_at=utcnow(), stopped_at=None).where(
            (Heartbeat.name == name) & (Heartbeat.pid == os.getpid())).execute()

    def stopped(self, name: str) -> None:
        Heartbeat.update(stopped_at=utcnow()).where((Heartbeat.name == name) & (Heartbeat.pid == os.getpid())).execute()

    def live(self, prefix: str, within: timedelta) -> int:
        """How many processes whose row's name starts with ``prefix`` beat within ``within``
        and did not stop."""
        return Heartbeat.select().where(Heartbeat.name.startswith(prefix) & Heartbeat.stopped_at.is_null()
                                        & (Heartbeat.beat_at > utcnow() - within)).count()

    def get(self, name: str) -> Beat | None:
        row = Heartbeat.get_or_none(Heartbeat.name == name)
        if row is None:
            return None
        return Beat(row.name, row.host, row.pid, row.version, row.started_at, row.beat_at, row.stopped_at)
