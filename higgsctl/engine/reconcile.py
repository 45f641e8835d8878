"""Payments against two references: Telegram's own record (getStarTransactions, handed in by a
face as ``StarTx`` rows) and the ledger (the books check).

``compare`` lists what differs; ``higgsctl payments reconcile`` shows it and, when the operator
agrees, fixes what can be fixed: a payment whose update never arrived is credited, a refund
made outside is reversed, an interrupted refund of ours is finished.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from .models import LedgerEntry, Payment

# Finding kinds; the fixable ones are what reconcile repairs after asking.
MISSED_PAYMENT = "missed_payment"  # Telegram has the payment, we never credited it
OUTSIDE_REFUND = "outside_refund"  # Telegram refunded it, we still count it as credited
UNFINISHED_REFUND = "unfinished_refund"  # our refund was interrupted (status refunding)
NOT_REFUNDED_AT_TELEGRAM = "not_refunded_at_telegram"  # refunded here, no refund at Telegram
UNKNOWN_TO_TELEGRAM = "unknown_to_telegram"  # credited here, no such payment at Telegram
AMOUNT_DIFFERS = "amount_differs"
FIXABLE = {MISSED_PAYMENT, OUTSIDE_REFUND, UNFINISHED_REFUND}


@dataclass(frozen=True)
class StarTx:
    """One Telegram Star transaction between the bot and a user. ``incoming``: a payment
    (its id is the telegram_payment_charge_id); outgoing: the refund of the payment with that id."""

    id: str
    amount: int
    date: datetime
    incoming: bool
    user_id: int | None
    payload: str = ""


@dataclass(frozen=True)
class Finding:
    kind: str
    charge_id: str
    user_id: int | None
    stars: int
    detail: str
    payload: str = ""
    refunded_at_telegram: bool = False

    @property
    def fixable(self) -> bool:
        return self.kind in FIXABLE


def compare(payments: list[Payment], transactions: list[StarTx]) -> list[Finding]:
    incoming = {t.id: t for t in transactions if t.incoming}
    refunds = {t.id for t in transactions if not t.incoming}
    known = {p.charge_id: p for p in payments}
    findings: list[Finding] = []
    for tx in incoming.values():
        if tx.id not in known:
            findings.append(Finding(MISSED_PAYMENT, tx.id, tx.user_id, tx.amount,
                                    "paid at Telegram, never credited here" + (" (and refunded since)" if tx.id in refunds else ""),
                                    tx.payload, refunded_at_telegram=tx.id in refunds))
    for p in payments:
        tx = incoming.get(p.charge_id)
        refunded = p.charge_id in refunds
        if p.status == "refunding":
            findings.append(Finding(UNFINISHED_REFUND, p.charge_id, p.user_id, p.stars,
                                    "our refund was interrupted; Telegram " + ("has refunded it" if refunded else "shows no refund yet"),
                                    p.payload, refunded_at_telegram=refunded))
        elif p.status == "credited" and refunded:
            findings.append(Finding(OUTSIDE_REFUND, p.charge_id, p.user_id, p.stars,
                                    "refunded at Telegram (outside higgsctl); credits not taken back yet", p.payload, True))
        elif p.status == "refunded" and p.refund_origin == "higgsctl" and not refunded and tx is not None:
            findings.append(Finding(NOT_REFUNDED_AT_TELEGRAM, p.charge_id, p.user_id, p.stars,
                                    "refunded here, but Telegram lists no refund", p.payload))
        if tx is None and p.status != "refunded":
            findings.append(Finding(UNKNOWN_TO_TELEGRAM, p.charge_id, p.user_id, p.stars,
                                    "credited here, but Telegram lists no such payment", p.payload))
        elif tx is not None and tx.amount != p.stars:
            findings.append(Finding(AMOUNT_DIFFERS, p.charge_id, p.user_id, p.stars,
                                    f"{p.stars} Stars here, {tx.amount} at Telegram", p.payload))
    return findings


def book_discrepancies() -> list[str]:
    """Payments whose ledger doesn't match them: credits bought = the purchase entries,
    taken back = the refund entries (net of undone ones), a refund accounts for every credit
    bought. Empty when the books are right (`db status` checks this with the balances)."""
    sums: dict[int, dict[str, int]] = {}
    rows = (LedgerEntry.select(LedgerEntry.payment, LedgerEntry.reason, fn.SUM(LedgerEntry.amount))
            .where(LedgerEntry.payment.is_null(False)).group_by(LedgerEntry.payment, LedgerEntry.reason).tuples())
    for payment_id, reason, total in rows:
        sums.setdefault(payment_id, {})[reason] = int(total)
    problems = []
    stray = LedgerEntry.select().where((LedgerEntry.reason == "purchase") & LedgerEntry.payment.is_null()).count()
    if stray:
        problems.append(f"{stray} purchase ledger entr{'y has' if stray == 1 else 'ies have'} no payment")
    for p in Payment.select():
        s = sums.pop(p.id, {})
        bought, taken = s.get("purchase", 0), -(s.get("refund", 0) + s.get("refund_undone", 0))
        if bought != p.credits:
            problems.append(f"payment {p.charge_id}: bought {p.credits} credits, purchase entries sum to {bought}")
        if taken != p.taken_back:
            problems.append(f"payment {p.charge_id}: {p.taken_back} credits taken back, refund entries sum to {taken}")
        if p.status == "refunded" and p.taken_back + p.shortfall != p.credits:
            problems.append(f"payment {p.charge_id}: refunded, but {p.taken_back} taken back + {p.shortfall} "
                            f"short != {p.credits} bought")
        if p.status == "credited" and (p.taken_back or p.shortfall):
            problems.append(f"payment {p.charge_id}: credited, but {p.taken_back} credits taken back")
    return problems
