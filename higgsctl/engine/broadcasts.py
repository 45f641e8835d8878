"""Broadcasts: a message (text, optional photo) to an audience of users, sent by the bot
process, paced under Telegram's limits, surviving restarts without sending anyone it twice.

The audience is fixed when the broadcast is created: one recipient row per user. A sender
claims recipients (``pending`` → ``sending``) before it calls Telegram and records the outcome
after (``sent``, ``blocked`` — the user blocked the bot: marked on the user and skipped by later
broadcasts —, ``failed``). A process that dies between the two leaves ``sending`` rows; the next
start turns them into ``unknown`` and never sends them again: at most once, by design (a
duplicate message is worse for a business than one missed notice, and the report counts them).
Pausing and cancelling are a status the sender checks between batches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from peewee import Value, fn

from . import audit
from .db import is_sqlite, write_transaction
from .errors import InvalidInput, NotFound
from .models import Broadcast, BroadcastRecipient, LedgerEntry, User, database, utcnow
from .requests import check_reference
from .storage import FileStore

TEXT_LIMIT = 4096  # Telegram's message text, in UTF-16 code units
CAPTION_LIMIT = 1024  # a photo's caption
PHOTO_MB = 10  # Telegram's limit for a photo sent by upload
STATES = ("pending", "sending", "sent", "blocked", "failed", "unknown")
OPEN = ("queued", "sending", "paused")
AUDIENCE = re.compile(r"all|balance|paid|active:([1-9][0-9]{0,3})|lang:([a-z]{2})")
BATCH = 50


@dataclass(frozen=True)
class Report:
    broadcast: Broadcast
    counts: dict[str, int]  # per recipient state

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.total - self.counts.get("pending", 0) - self.counts.get("sending", 0)


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def audience_query(spec: str):
    """The users an audience spec names, never those blocked by an admin or who blocked the bot."""
    match = AUDIENCE.fullmatch((spec or "").strip().lower())
    if match is None:
        raise InvalidInput(f"Unknown audience {spec!r}.",
                           hint="Use all, active:N (seen in the last N days), balance, paid or lang:xx.")
    query = User.select(User.id).where(~User.blocked & User.blocked_bot_at.is_null() & (User.id != 0))
    kind = match.group(0)
    if kind == "balance":
        query = query.where(User.balance > 0)
    elif kind == "paid":
        buyers = LedgerEntry.select(LedgerEntry.user).where(LedgerEntry.reason == "purchase")
        query = query.where(User.id.in_(buyers))
    elif kind.startswith("active:"):
        query = query.where(User.last_seen_at >= utcnow() - timedelta(days=int(match.group(1))))
    elif kind.startswith("lang:"):
        query = query.where(User.language == match.group(2))
    return query


class Broadcasts:
    def __init__(self, store: FileStore) -> None:
        self.store = store

    def count(self, audience: str) -> int:
        return audience_query(audience).count()

    def create(self, text: str, audience: str, *, actor: str, photo: Path | None = None, paid: bool = False) -> Report:
        text = (text or "").strip()
        limit = CAPTION_LIMIT if photo else TEXT_LIMIT
        if not text:
            raise InvalidInput("The broadcast text is empty.")
        if utf16_length(text) > limit:
            raise InvalidInput(f"The text is {utf16_length(text)} characters; Telegram takes {limit}"
                               + (" in a photo's caption." if photo else " in a message."))
        stored = None
        if photo is not None:
            from .config import LimitSettings

            check_reference(photo, LimitSettings(max_reference_mb=PHOTO_MB))
            stored = self.store.relative(self.store.save_broadcast_photo(photo))
        users = audience_query(audience)
        with write_transaction(database.obj):
            broadcast = Broadcast.create(text=text, photo=stored, audience=audience.strip().lower(), paid=paid,
                                         created_by=actor)
            BroadcastRecipient.insert_from(
                users.select(Value(broadcast.id), User.id, Value("pending")),
                [BroadcastRecipient.broadcast, BroadcastRecipient.user, BroadcastRecipient.state],
            ).execute()
            audit.record(actor, "broadcast", target=f"broadcast:{broadcast.id}",
                         after={"audience": broadcast.audience, "photo": bool(stored), "paid": paid,
                                "text": text[:200]})
        return self.report(broadcast.id)

    def get(self, broadcast_id: int) -> Broadcast:
        broadcast = Broadcast.get_or_none(Broadcast.id == broadcast_id)
        if broadcast is None:
            raise NotFound(f"No broadcast #{broadcast_id}.", hint="`higgsctl broadcasts` lists them.")
        return broadcast

    def report(self, broadcast_id: int) -> Report:
        broadcast = self.get(broadcast_id)
        counts = dict(BroadcastRecipient.select(BroadcastRecipient.state, fn.COUNT(BroadcastRecipient.id))
                      .where(BroadcastRecipient.broadcast == broadcast_id)
                      .group_by(BroadcastRecipient.state).tuples())
        return Report(broadcast, {state: counts.get(state, 0) for state in STATES})

    def list(self, limit: int = 50) -> list[Report]:
        return [self.report(b.id) for b in Broadcast.select(Broadcast.id).order_by(Broadcast.id.desc()).limit(limit)]

    def set_status(self, broadcast_id: int, status: str, *, actor: str = "system") -> bool:
        """pause, resume (→ queued) or cancel an open broadcast; False if it is not open.
        A change is written to the audit trail in its transaction."""
        allowed = {"paused": ("queued", "sending"), "queued": ("paused",), "canceled": OPEN}[status]
        changes = {"status": status, **({"finished_at": utcnow()} if status == "canceled" else {})}
        with write_transaction(database.obj):
            before = self.get(broadcast_id).status
            if not (Broadcast.update(**changes)
                    .where((Broadcast.id == broadcast_id) & Broadcast.status.in_(allowed)).execute()):
                return False
            action = {"paused": "broadcast_pause", "queued": "broadcast_resume", "canceled": "broadcast_cancel"}[status]
            audit.record(actor, action, target=f"broadcast:{broadcast_id}", before={"status": before},
                         after={"status": status})
        return True

    # --- the sender's side -------------------------------------------------------------

    def recover(self) -> int:
        """At start: recipients a dead sender left mid-send are never sent again."""
        return BroadcastRecipient.update(state="unknown", error="the sender stopped mid-send").where(
            BroadcastRecipient.state == "sending").execute()

    def next_open(self) -> Broadcast | None:
        """The oldest broadcast to send now (queued or sending), marked as sending."""
        broadcast = (Broadcast.select().where(Broadcast.status.in_(("queued", "sending")))
                     .order_by(Broadcast.id).first())
        if broadcast is not None and broadcast.status == "queued":
            Broadcast.update(status="sending", started_at=fn.COALESCE(Broadcast.started_at, utcnow())).where(
                (Broadcast.id == broadcast.id) & (Broadcast.status == "queued")).execute()
            broadcast = Broadcast.get_by_id(broadcast.id)
        return broadcast if broadcast is not None and broadcast.status == "sending" else None

    def claim(self, broadcast_id: int, limit: int = BATCH) -> list[tuple[int, int]]:
        """Up to ``limit`` pending recipients, now ``sending``: [(recipient id, user id)]. Empty
        when the broadcast is no longer sending (paused, canceled) or everyone had their turn
        (then it is done)."""
        with write_transaction(database.obj):
            if Broadcast.get_by_id(broadcast_id).status != "sending":
                return []
            pending = (BroadcastRecipient.select(BroadcastRecipient.id, BroadcastRecipient.user)
                       .where((BroadcastRecipient.broadcast == broadcast_id) & (BroadcastRecipient.state == "pending"))
                       .order_by(BroadcastRecipient.id).limit(limit))
            if not is_sqlite(database.obj):  # SQLite's write lock already serialises claims
                pending = pending.for_update("FOR UPDATE SKIP LOCKED")  # two senders never take one row
            rows = list(pending.tuples())
            if not rows:  # done once nobody is still sending either
                unsettled = BroadcastRecipient.select().where(
                    (BroadcastRecipient.broadcast == broadcast_id)
                    & BroadcastRecipient.state.in_(("pending", "sending"))).exists()
                if not unsettled:
                    Broadcast.update(status="done", finished_at=utcnow()).where(
                        (Broadcast.id == broadcast_id) & (Broadcast.status == "sending")).execute()
                return []
            BroadcastRecipient.update(state="sending").where(
                BroadcastRecipient.id.in_([rid for rid, _ in rows]) & (BroadcastRecipient.state == "pending")).execute()
        return rows

    def sent(self, recipient_id: int) -> None:
        self._record(recipient_id, "sent", None)

    def failed(self, recipient_id: int, error: str) -> None:
        self._record(recipient_id, "failed", error[:500])

    def blocked(self, recipient_id: int, user_id: int) -> None:
        """The user blocked the bot: recorded on the user too, so later broadcasts skip them."""
        with write_transaction(database.obj):
            self._record(recipient_id, "blocked", "the user blocked the bot")
            User.update(blocked_bot_at=utcnow()).where(User.id == user_id).execute()

    def unknown(self, recipient_id: int, error: str) -> None:
        """The call's outcome is unknown (a network error after sending): never sent again."""
        self._record(recipient_id, "unknown", error[:500])

    def unclaim(self, recipient_id: int) -> None:
        """Telegram refused before sending (rate limited): back in line."""
        BroadcastRecipient.update(state="pending").where(
            (BroadcastRecipient.id == recipient_id) & (BroadcastRecipient.state == "sending")).execute()

    def remember_photo(self, broadcast_id: int, file_id: str) -> None:
        Broadcast.update(photo_file_id=file_id).where(Broadcast.id == broadcast_id).execute()

    def photo_path(self, broadcast: Broadcast) -> Path | None:
        return None if broadcast.photo is None else self.store.locate(broadcast.photo)

    @staticmethod
    def _record(recipient_id: int, state: str, error: str | None) -> None:
        BroadcastRecipient.update(state=state, error=error, sent_at=utcnow()).where(
            (BroadcastRecipient.id == recipient_id) & (BroadcastRecipient.state == "sending")).execute()
