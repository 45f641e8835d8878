"""The audit trail: who did which admin action, when, to what, with the values before and
after and the reason.

``record()`` writes one entry and is called *inside* the transaction of the change it
describes (a grant, a decision, a block, a refund...), so a crash can never leave a change
without its entry, nor an entry for a change that did not happen. Actions that change no
row of ours (an export, an upstream cancel) are recorded on their own afterwards.

Actors are strings, the same ones the ledger's ``actor`` column shows:
``bot_actor(id, username, name)`` → ``admin:<id> (@name)``; ``operator_actor("cli", "Ann")`` →
``cli:<os user> as Ann`` (the OS user from ``getpass``, ``?`` when it can't be told).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import write_transaction
from .models import AuditEntry, database

# The actions faces record (the `audit --action` filter lists them).
ACTIONS = (
    "grant", "topup_approve", "topup_reject", "block", "unblock", "refund", "cancel", "resend",
    "promo_create", "promo_disable", "export", "broadcast", "broadcast_pause", "broadcast_resume",
    "broadcast_cancel",
)
MAX_NAME = 64


def os_user() -> str:
    """The operating-system user running this process; ``?`` when none can be found (a
    container without a passwd entry makes getpass raise)."""
    try:
        return getpass.getuser() or "?"
    except Exception:  # noqa: BLE001 - KeyError, OSError, ImportError depending on the platform
        return "?"


def _clean(name: str) -> str:
    """One line, bounded: an actor is shown in tables and the ledger."""
    return " ".join(str(name).split())[:MAX_NAME]


def operator_actor(face: str, as_admin: str | None = None) -> str:
    """The actor for an admin at a terminal: ``cli:alice`` or ``tui:alice as Ann``."""
    actor = f"{face}:{_clean(os_user()) or '?'}"
    name = _clean(as_admin or "")
    return f"{actor} as {name}" if name else actor


def bot_actor(admin_id: int, username: str | None = None, name: str | None = None) -> str:
    """The actor for an admin's Telegram command: ``admin:42 (@ann)`` (or their name)."""
    shown = f"@{_clean(username)}" if username else _clean(name or "")
    return f"admin:{admin_id} ({shown})" if shown else f"admin:{admin_id}"


def record(actor: str, action: str, *, user_id: int | None = None, target: str | None = None,
           before: dict | None = None, after: dict | None = None, reason: str | None = None) -> AuditEntry:
    """Write one entry. Call it inside the transaction of the change it records."""
    return AuditEntry.create(actor=actor, action=action, user_id=user_id, target=target, before=before,
                             after=after, reason=(reason or "").strip() or None)


def describe_change(before: dict | None, after: dict | None) -> str:
    """``balance 100 → 600, amount 500``: each value after, with the one before if it had one."""
    before, parts = before or {}, []
    for key, value in (after or {}).items():
        parts.append(f"{key} {before[key]} → {value}" if key in before else f"{key} {value}")
    return ", ".join(parts)


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    action: str | None = None
    target: str | None = None  # "generation:12", "topup:3", ...
    since: datetime | None = None
    limit: int = 50
    offset: int = 0


class Audit:
    """Reading the trail (and recording actions that have no transaction of their own)."""

    def record(self, actor: str, action: str, **fields: Any) -> AuditEntry:
        with write_transaction(database.obj):
            return record(actor, action, **fields)

    def list(self, f: AuditFilter = AuditFilter()) -> list[AuditEntry]:
        return list(self._query(f).order_by(AuditEntry.id.desc()).limit(f.limit).offset(f.offset))

    def count(self, f: AuditFilter = AuditFilter()) -> int:
        return self._query(f).count()

    @staticmethod
    def _query(f: AuditFilter):
        query = AuditEntry.select()
        if f.user_id is not None:
            query = query.where(AuditEntry.user_id == f.user_id)
        if f.action:
            query = query.where(AuditEntry.action == f.action)
        if f.target:
            query = query.where(AuditEntry.target == f.target)
        if f.since is not None:
            query = query.where(AuditEntry.created_at >= f.since)
        return query
