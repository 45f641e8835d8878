"""Top-up requests: a user asks, an admin approves (any amount) or rejects — exactly once.

The bot, CLI and TUI are separate processes; a decision is a database row, and the bot
notifies the user by claiming undelivered decisions (``claim_notification``).
"""

from __future__ import annotations

from peewee import IntegrityError

from . import audit
from .credits import Credits
from .db import write_transaction
from .errors import InvalidInput, NotFound, TopUpAlreadyDecided, TopUpPending, UserBlocked
from .models import TopUpRequest, User, database, utcnow


class TopUps:
    def __init__(self, credits: Credits, amount: int) -> None:
        self.credits = credits
        self.amount = amount

    def request(self, user_id: int) -> TopUpRequest:
        try:
            return self._request(user_id)
        except IntegrityError:  # another request won the race (unique pending index)
            pending = self.pending_for(user_id)
            raise TopUpPending(f"Top-up request #{pending.id if pending else '?'} is still waiting for an admin.") from None

    def _request(self, user_id: int) -> TopUpRequest:
        with write_transaction(database.obj):
            user = User.get_or_none(User.id == user_id)
            if user is None:
                raise NotFound(f"No user {user_id}.")
            if user.blocked:
                raise UserBlocked("This account is blocked.")
            pending = self.pending_for(user_id)
            if pending is not None:
                raise TopUpPending(f"Top-up request #{pending.id} is still waiting for an admin.")
            return TopUpRequest.create(user=user_id, amount=self.amount)

    def pending_for(self, user_id: int) -> TopUpRequest | None:
        return TopUpRequest.get_or_none((TopUpRequest.user == user_id) & (TopUpRequest.status == "pending"))

    def get(self, request_id: int) -> TopUpRequest:
        topup = TopUpRequest.get_or_none(TopUpRequest.id == request_id)
        if topup is None:
            raise NotFound(f"No top-up request #{request_id}.", hint="`higgsctl credits requests` lists pending ones.")
        return topup

    def pending(self, limit: int = 200) -> list[TopUpRequest]:
        return list(
            TopUpRequest.select(TopUpRequest, User).join(User)
            .where(TopUpRequest.status == "pending").order_by(TopUpRequest.id).limit(limit)
        )

    def recent(self, limit: int = 200) -> list[TopUpRequest]:
        """Pending first, then the latest decisions."""
        return list(
            TopUpRequest.select(TopUpRequest, User).join(User)
            .order_by((TopUpRequest.status != "pending"), TopUpRequest.id.desc()).limit(limit)
        )

    def approve(self, request_id: int, *, actor: str, amount: int | None = None) -> TopUpRequest:
        amount = self.get(request_id).amount if amount is None else amount
        if not isinstance(amount, int) or amount <= 0:
            raise InvalidInput(f"Amount must be a positive whole number, not {amount!r}.")
        with write_transaction(database.obj):
            self._decide(request_id, "approved", actor, granted=amount)
            topup = TopUpRequest.get_by_id(request_id)
            before = self.credits.balance(topup.user_id)
            balance = self.credits.add(topup.user_id, amount, actor=actor, reason="topup", topup=topup,
                                       note=f"top-up request #{request_id}")[0]
            audit.record(actor, "topup_approve", user_id=topup.user_id, target=f"topup:{request_id}",
                         before={"status": "pending", "balance": before, "requested": topup.amount},
                         after={"status": "approved", "balance": balance, "granted": amount})
        return TopUpRequest.get_by_id(request_id)

    def reject(self, request_id: int, *, actor: str, reason: str | None = None, share_reason: bool = False) -> TopUpRequest:
        """Reject with an optional reason (recorded); ``share_reason``: the user is told it
        with the decision."""
        reason = (reason or "").strip() or None
        with write_transaction(database.obj):
            self._decide(request_id, "rejected", actor, reason=reason, reason_shared=bool(reason and share_reason))
            topup = TopUpRequest.get_by_id(request_id)
            audit.record(actor, "topup_reject", user_id=topup.user_id, target=f"topup:{request_id}",
                         before={"status": "pending", "requested": topup.amount},
                         after={"status": "rejected", "reason_shared": topup.reason_shared}, reason=reason)
        return topup

    def _decide(self, request_id: int, status: str, actor: str, **fields) -> None:
        decided = (
            TopUpRequest.update(status=status, decided_by=actor, decided_at=utcnow(), **fields)
            .where((TopUpRequest.id == request_id) & (TopUpRequest.status == "pending"))
            .execute()
        )
        if not decided:
            topup = self.get(request_id)
            raise TopUpAlreadyDecided(request_id, topup.status, topup.decided_by)

    def undelivered_decisions(self) -> list[TopUpRequest]:
        return list(
            TopUpRequest.select().where(
                (TopUpRequest.status != "pending") & TopUpRequest.notified_at.is_null()
            ).order_by(TopUpRequest.id)
        )

    def claim_notification(self, request_id: int) -> bool:
        """Mark a decision as told to the user; only one caller ever gets True."""
        return bool(
            TopUpRequest.update(notified_at=utcnow())
            .where((TopUpRequest.id == request_id) & TopUpRequest.notified_at.is_null())
            .execute()
        )
