"""Telegram Stars payments: crediting each exactly once, and refunds that can't leave a user
with both the Stars and the credits, or with neither.

Crediting: the ``payment`` row (unique ``charge_id``, Telegram's telegram_payment_charge_id),
the balance change and the ``purchase`` ledger entry commit in one transaction. A second
delivery of the same successful_payment, or a second process seeing it, fails on the unique
index, rolls back, and gets the existing row: credited once.

A refund we make runs in three steps, each one transaction or one Telegram call:

1. ``begin_refund``: status credited → refunding and the credits taken back (ledger
   ``refund``), together; refused (RefundRefused, nothing changes) when the balance no longer
   holds them: balances never go negative.
2. ``refundStarPayment`` (the face's ``send``).
3. Telegram said yes (or CHARGE_ALREADY_REFUNDED) → ``finish_refund``: refunding → refunded.
   Telegram said no → ``undo_refund``: refunding → credited and the credits given back
   (ledger ``refund_undone``). No answer (network, timeout, a crash) → the payment stays
   ``refunding``, credits taken: the user never holds Stars and credits at once; ``payments
   reconcile`` finds the Stars refund in getStarTransactions (→ refunded) or asks Telegram
   again (CHARGE_ALREADY_REFUNDED tells it the first call went through), so the user can't end
   up with neither.

A refund made outside higgsctl reaches the bot as a ``refunded_payment`` message:
``record_outside_refund`` takes back what the balance allows (never below zero) and records
the rest as ``shortfall``; for a payment we were refunding it just finishes the refund.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable

from peewee import IntegrityError, fn

from . import audit, fastsql
from .db import write_transaction
from .errors import InvalidInput, NotFound, RefundFailed, RefundPending, RefundRefused
from .models import LedgerEntry, Payment, User, database, utcnow
from .packs import parse_payload

log = logging.getLogger("higgsctl.payments")
RunDb = Callable[..., Awaitable]


class RefundAnswer(enum.Enum):
    """What Telegram said to refundStarPayment (faces map their client's result to this)."""

    REFUNDED = "refunded"
    ALREADY_REFUNDED = "already_refunded"
    REFUSED = "refused"
    NO_ANSWER = "no_answer"

    @classmethod
    def for_error(cls, description: str) -> "RefundAnswer":
        """An error response from Telegram (a network failure is NO_ANSWER, not this)."""
        return cls.ALREADY_REFUNDED if "CHARGE_ALREADY_REFUNDED" in description.upper() else cls.REFUSED


Send = Callable[[int, str], Awaitable[tuple[RefundAnswer, str]]]  # (user id, charge id) → (answer, detail)


async def ask_telegram(call: Awaitable, *, answered: tuple[type[BaseException], ...],
                       unanswered: tuple[type[BaseException], ...]) -> tuple[RefundAnswer, str]:
    """Await a face's refundStarPayment call: ``answered`` are its client's error responses
    from Telegram (a refusal, or CHARGE_ALREADY_REFUNDED), ``unanswered`` its network
    failures (the outcome is unknown)."""
    try:
        await call
    except answered as exc:
        detail = str(getattr(exc, "message", exc))
        return RefundAnswer.for_error(detail), detail
    except unanswered as exc:
        return RefundAnswer.NO_ANSWER, str(exc)
    return RefundAnswer.REFUNDED, ""


@dataclass(frozen=True)
class Credited:
    payment: Payment
    balance: int
    new: bool  # False: this charge was credited before (a repeated update)


@dataclass(frozen=True)
class Revenue:
    days: int
    payments: int
    stars: int
    refunded: int  # Stars of those payments returned since


class Payments:
    def __init__(self, run_db: RunDb) -> None:
        self.run_db = run_db

    # --- crediting ----------------------------------------------------------------------
    def credit(self, *, charge_id: str, user_id: int, payload: str, stars: int,
               provider_charge_id: str | None = None, actor: str = "telegram") -> Credited:
        """Credit a successful payment once; a repeat returns the existing row (new=False).
        A payload that is not one of our invoices is recorded with 0 credits (the Stars are
        ours, an admin can refund them)."""
        if not charge_id:
            raise InvalidInput("A payment needs its telegram_payment_charge_id.")
        purchase = parse_payload(payload)
        credits = purchase.credits if purchase else 0
        try:
            with write_transaction(database.obj):
                payment = fastsql.insert(Payment, charge_id=charge_id, provider_charge_id=provider_charge_id,
                                         user=user_id, pack=purchase.pack if purchase else "", stars=stars,
                                         credits=credits, payload=payload)
                if credits:
                    fastsql.execute('UPDATE "user" SET balance = balance + ? WHERE id = ?', credits, user_id)
                    fastsql.insert(LedgerEntry, user=user_id, amount=credits, reason="purchase", actor=actor,
                                   payment=payment.id, note=f"{stars} Stars, pack {payment.pack}")
                balance = User.get_by_id(user_id).balance
        except IntegrityError:
            existing = Payment.get_or_none(Payment.charge_id == charge_id)
            if existing is None:  # not our unique index: the user row is missing
                raise NotFound(f"No user {user_id} for payment {charge_id}.") from None
            return Credited(existing, User.get_by_id(existing.user_id).balance, new=False)
        if purchase is None:
            log.warning("payment %s: payload %r is not one of our invoices; recorded with 0 credits", charge_id, payload)
        return Credited(Payment.get_by_id(payment.id), balance, new=True)

    # --- reading ------------------------------------------------------------------------
    def get(self, charge_id: str) -> Payment:
        payment = Payment.get_or_none(Payment.charge_id == charge_id)
        if payment is None:
            raise NotFound(f"No payment {charge_id!r}.", hint="`higgsctl payments list` shows them.")
        return payment

    def by_id(self, payment_id: int) -> Payment:
        payment = Payment.get_or_none(Payment.id == payment_id)
        if payment is None:
            raise NotFound(f"No payment #{payment_id}.")
        return payment

    def list(self, *, user_id: int | None = None, limit: int = 100) -> list[Payment]:
        query = Payment.select(Payment, User).join(User)
        if user_id is not None:
            query = query.where(Payment.user == user_id)
        return list(query.order_by(Payment.id.desc()).limit(limit))

    def all(self) -> list[Payment]:
        return list(Payment.select().order_by(Payment.id))

    def revenue(self, days: int) -> Revenue:
        """Stars paid in the last ``days`` days, and of those how many were refunded (one
        aggregate query: the payments screen and the overview read it on every refresh)."""
        since = utcnow() - timedelta(days=days)
        refunded = fn.SUM(Payment.stars).filter(Payment.status.in_(("refunding", "refunded")))
        count, paid, back = (Payment.select(fn.COUNT(Payment.id), fn.COALESCE(fn.SUM(Payment.stars), 0),
                                            fn.COALESCE(refunded, 0))
                             .where(Payment.created_at >= since).tuples().get())
        return Revenue(days, int(count), int(paid), int(back))

    def refundable(self, user_id: int, *, days: int = 30, limit: int = 5) -> list[Payment]:
        """A user's recent credited payments, newest first (/paysupport offers these)."""
        since = utcnow() - timedelta(days=days)
        return list(Payment.select().where((Payment.user == user_id) & (Payment.status == "credited")
                                           & (Payment.created_at >= since) & (Payment.credits > 0))
                    .order_by(Payment.id.desc()).limit(limit))

    # --- refunds we make ----------------------------------------------------------------
    async def refund(self, charge_id: str, *, actor: str, reason: str, send: Send) -> Payment:
        """Take the credits back, ask Telegram to return the Stars, record the outcome."""
        payment = await self.run_db(self.begin_refund, charge_id, actor=actor, reason=reason)
        return await self.complete_refund(payment, send)

    async def complete_refund(self, payment: Payment, send: Send) -> Payment:
        """Steps 2 and 3 for a payment in ``refunding`` (also what reconcile runs)."""
        answer, detail = await send(payment.user_id, payment.charge_id)
        if answer in (RefundAnswer.REFUNDED, RefundAnswer.ALREADY_REFUNDED):
            return await self.run_db(self.finish_refund, payment.charge_id)
        if answer is RefundAnswer.REFUSED:
            await self.run_db(self.undo_refund, payment.charge_id, detail)
            raise RefundFailed(f"Telegram refused to refund {payment.charge_id}: {detail}. The credits were given back.",
                               code="refund_failed")
        raise RefundPending(f"No answer from Telegram about refunding {payment.charge_id} ({detail}); the credits "
                            "stay taken back until `higgsctl payments reconcile` learns the outcome.",
                            hint="Run `higgsctl payments reconcile` later.", code="refund_pending")

    def begin_refund(self, charge_id: str, *, actor: str, reason: str) -> Payment:
        with write_transaction(database.obj):
            payment = self.get(charge_id)
            if payment.status != "credited":
                raise InvalidInput(f"Payment {charge_id} is already {payment.status}.", code="payment_refund_already")
            moved = fastsql.execute('UPDATE "payment" SET status = ?, refund_origin = ?, refund_reason = ?, '
                                    'refunded_by = ?, taken_back = credits WHERE id = ? AND status = ?',
                                    "refunding", "higgsctl", reason, actor, payment.id, "credited")
            if not moved:
                raise InvalidInput(f"Payment {charge_id} is being refunded already.", code="payment_refund_already")
            if payment.credits:
                taken = fastsql.execute('UPDATE "user" SET balance = balance - ? WHERE id = ? AND balance >= ?',
                                        payment.credits, payment.user_id, payment.credits)
                if not taken:
                    raise RefundRefused(charge_id, payment.credits, User.get_by_id(payment.user_id).balance)
                fastsql.insert(LedgerEntry, user=payment.user_id, amount=-payment.credits, reason="refund",
                               actor=actor, payment=payment.id, note=reason or None)
            audit.record(actor, "refund", user_id=payment.user_id, target=f"payment:{charge_id}",
                         before={"status": "credited"}, after={"status": "refunding", "credits_taken": payment.credits,
                                                               "stars": payment.stars}, reason=reason)
            return Payment.get_by_id(payment.id)

    def finish_refund(self, charge_id: str) -> Payment:
        with write_transaction(database.obj):
            payment = self.get(charge_id)
            fastsql.execute('UPDATE "payment" SET status = ?, refunded_at = ? WHERE id = ? AND status = ?',
                            "refunded", utcnow(), payment.id, "refunding")
            return Payment.get_by_id(payment.id)

    def undo_refund(self, charge_id: str, detail: str) -> Payment:
        with write_transaction(database.obj):
            payment = self.get(charge_id)
            if not fastsql.execute('UPDATE "payment" SET status = ?, taken_back = 0, refund_origin = NULL '
                                   'WHERE id = ? AND status = ?', "credited", payment.id, "refunding"):
                return payment  # finished (or undone) meanwhile
            if payment.taken_back:
                fastsql.execute('UPDATE "user" SET balance = balance + ? WHERE id = ?', payment.taken_back, payment.user_id)
                fastsql.insert(LedgerEntry, user=payment.user_id, amount=payment.taken_back, reason="refund_undone",
                               actor="system", payment=payment.id, note=f"Telegram refused the refund: {detail}")
            audit.record("system", "refund", user_id=payment.user_id, target=f"payment:{charge_id}",
                         before={"status": "refunding"}, after={"status": "credited", "credits_back": payment.taken_back},
                         reason=f"Telegram refused the refund: {detail}")
            return Payment.get_by_id(payment.id)

    # --- refunds made outside -----------------------------------------------------------
    def record_outside_refund(self, charge_id: str, *, user_id: int, stars: int, payload: str) -> Payment:
        """A refunded_payment message (or a refund reconcile found): reverse the purchase as far
        as the balance allows; the same refund seen twice changes nothing."""
        with write_transaction(database.obj):
            payment = Payment.get_or_none(Payment.charge_id == charge_id)
            if payment is None:  # never credited here (its update was lost): nothing to take back
                purchase = parse_payload(payload)
                payment = fastsql.insert(Payment, charge_id=charge_id, user=user_id, stars=stars, credits=0,
                                         pack=purchase.pack if purchase else "", payload=payload, status="refunded",
                                         refund_origin="telegram", refunded_at=utcnow())
            elif payment.status == "refunding":
                self.finish_refund(charge_id)
            elif payment.status == "credited":
                self._take_back_outside(payment)
            return Payment.get_by_id(payment.id)

    def _take_back_outside(self, payment: Payment) -> None:
        for _ in range(5):  # the balance may drop between the read and the update (a hold)
            balance = User.get_by_id(payment.user_id).balance
            take = min(balance, payment.credits)
            if fastsql.execute('UPDATE "user" SET balance = balance - ? WHERE id = ? AND balance >= ?',
                               take, payment.user_id, take):
                break
        else:  # pragma: no cover - five holds in a row, inside one transaction
            take = 0
        fastsql.execute('UPDATE "payment" SET status = ?, refund_origin = ?, refunded_by = ?, taken_back = ?, '
                        'shortfall = ?, refunded_at = ? WHERE id = ?', "refunded", "telegram", "telegram",
                        take, payment.credits - take, utcnow(), payment.id)
        if take:
            fastsql.insert(LedgerEntry, user=payment.user_id, amount=-take, reason="refund", actor="telegram",
                           payment=payment.id, note="refunded outside higgsctl")
        audit.record("telegram", "refund", user_id=payment.user_id, target=f"payment:{payment.charge_id}",
                     before={"status": "credited"}, after={"status": "refunded", "credits_taken": take,
                                                           "shortfall": payment.credits - take},
                     reason="refunded outside higgsctl")
        if take < payment.credits:
            log.warning("payment %s refunded outside: %d of %d credits were spent already (shortfall)",
                        payment.charge_id, payment.credits - take, payment.credits)

    def claim_receipt(self, payment_id: int) -> bool:
        """True for exactly one caller: who sends the receipt (also after a crash between
        crediting and the receipt: the redelivered update finds it unclaimed)."""
        return bool(Payment.update(receipt_at=utcnow())
                    .where((Payment.id == payment_id) & Payment.receipt_at.is_null()).execute())

    def claim_refund_notice(self, payment_id: int) -> bool:
        """True for exactly one caller once the payment is refunded: who tells the user."""
        return bool(Payment.update(refund_notified_at=utcnow())
                    .where((Payment.id == payment_id) & (Payment.status == "refunded")
                           & Payment.refund_notified_at.is_null()).execute())

    # --- /paysupport ----------------------------------------------------------------------
    def ask_refund(self, payment_id: int, user_id: int) -> Payment:
        """A user's refund request for their own credited payment; one at a time per payment."""
        payment = self.by_id(payment_id)
        if payment.user_id != user_id:
            raise NotFound(f"No payment #{payment_id}.")
        asked = (Payment.update(support_status="pending")
                 .where((Payment.id == payment_id) & (Payment.status == "credited")
                        & (Payment.support_status.is_null() | (Payment.support_status != "pending"))).execute())
        if not asked:
            raise InvalidInput(f"Payment #{payment_id} is {payment.status} or has a request pending.", code="payment_refund_already")
        return self.by_id(payment_id)

    def decide_request(self, payment_id: int, status: str) -> bool:
        """Close a pending /paysupport request (declined | refunded); True for the first decision."""
        return bool(Payment.update(support_status=status)
                    .where((Payment.id == payment_id) & (Payment.support_status == "pending")).execute())
