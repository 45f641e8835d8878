"""Alerts for admins: conditions that need a person now, found in the database, each said at
most once per ``[alerts] every_minutes`` (recorded in the database, so a restart or a second
process doesn't repeat it), each with what to do. The bot sends them to the admins and logs
them; the conditions are engine facts, so any face could.

- Higgsfield refused our key or is out of credits (a generation ended ``service_auth`` /
  ``service_credits`` since the last such alert);
- too many failures: at least ``failure_rate`` of the last ``window`` finished generations;
- a top-up request waiting longer than ``topup_minutes``;
- the bot restarted with jobs to resume (raised by the bot itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import IntegrityError

from .config import AlertSettings
from .db import write_transaction
from .events import TERMINAL, Status
from .models import AlertSent, Generation, TopUpRequest, database, utcnow

ACCOUNT_CODES = ("service_auth", "service_credits")
FAILED = (Status.FAILED, Status.TIMED_OUT)


@dataclass(frozen=True)
class Alert:
    kind: str  # account | failures | topup | restart
    text: str  # English, for admins and the log: what happened and what to do


class Alerts:
    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings

    def due(self, now: datetime | None = None) -> list[Alert]:
        """The alerts whose condition holds now and which were not said recently; each is
        recorded as said before it is returned (at most once, even with two processes)."""
        now = now or utcnow()
        if not self.settings.enabled:
            return []
        found = [a for a in (self._account(now), self._failures(), self._topup(now)) if a is not None]
        return [a for a in found if self.claim(a.kind, now)]

    def claim(self, kind: str, now: datetime | None = None) -> bool:
        """Record that ``kind`` is being said now, unless it was within the rate limit."""
        now = now or utcnow()
        quiet_since = now - timedelta(minutes=self.settings.every_minutes)
        try:
            with write_transaction(database.obj):
                if AlertSent.update(sent_at=now).where(
                        (AlertSent.kind == kind) & (AlertSent.sent_at <= quiet_since)).execute():
                    return True
                if AlertSent.get_or_none(AlertSent.kind == kind) is not None:
                    return False  # said within the period
                AlertSent.create(kind=kind, sent_at=now)
                return True
        except IntegrityError:  # another process said it first, this very moment
            return False

    def _last_said(self, kind: str) -> datetime | None:
        row = AlertSent.get_or_none(AlertSent.kind == kind)
        return None if row is None else row.sent_at

    def _account(self, now: datetime) -> Alert | None:
        since = self._last_said("account") or now - timedelta(minutes=self.settings.every_minutes)
        hit = (Generation.select(Generation.error_code, Generation.error)
               .where(Generation.error_code.in_(ACCOUNT_CODES) & (Generation.finished_at > since))
               .order_by(Generation.id.desc()).first())
        if hit is None:
            return None
        if hit.error_code == "service_auth":
            return Alert("account", "Higgsfield refuses the API key (403/401): generations are failing. "
                                    "Check [higgsfield] api_key / api_secret (`higgsctl config check`).")
        return Alert("account", "The Higgsfield account is out of credits: generations are failing. "
                                "Top up the Higgsfield account; users' credits are released automatically.")

    def _failures(self) -> Alert | None:
        window = self.settings.window
        recent = [status for (status,) in Generation.select(Generation.status)
                  .where(Generation.status.in_(TERMINAL)).order_by(Generation.id.desc()).limit(window).tuples()]
        if len(recent) < window:
            return None
        failed = sum(status in FAILED for status in recent)
        if failed / window < self.settings.failure_rate:
            return None
        return Alert("failures", f"{failed} of the last {window} generations failed. Look at `higgsctl history "
                                 "--status failed` for the errors (Higgsfield down, a bad model path in config?).")

    def _topup(self, now: datetime) -> Alert | None:
        limit = now - timedelta(minutes=self.settings.topup_minutes)
        oldest = (TopUpRequest.select().where((TopUpRequest.status == "pending") & (TopUpRequest.created_at <= limit))
                  .order_by(TopUpRequest.created_at).first())
        if oldest is None:
            return None
        waited = int((now - oldest.created_at).total_seconds() // 60)
        return Alert("topup", f"Top-up request #{oldest.id} has waited {waited} min. Decide it in Telegram, "
                              f"`higgsctl credits approve {oldest.id}` or the dashboard (3).")

    def restarted(self, resumed: int) -> Alert | None:
        if not self.settings.enabled or resumed <= 0 or not self.claim("restart"):
            return None
        return Alert("restart", f"The bot restarted and resumed {resumed} unfinished generation(s); they finish "
                                "and deliver on their own. If restarts are frequent, check the service's logs.")
