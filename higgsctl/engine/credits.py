"""The credit ledger: every balance change is one ledger row written in the same transaction.

Money rules:
- A generation first *holds* its cost: one conditional ``UPDATE ... WHERE balance >= cost``
  (``debit``), so the balance never goes negative and two concurrent holds can't both spend
  the last credits.
- The hold is then *captured* (success) or *released* (any failure) by flipping
  ``generation.charge`` from ``held`` with a conditional UPDATE: exactly once, even if the
  process dies and a resumed job tries again. Those statements are on generation rows, so
  they live in generations/rows.py; this module moves balances and writes the ledger.
- Transactions are synchronous and short; async callers run them through ``engine.run_db``.
  Never await inside one.
"""

from __future__ import annotations

from peewee import JOIN, fn

from . import audit, fastsql
from .db import write_transaction
from .errors import InsufficientCredits, InvalidInput, NotFound, UserBlocked
from .models import LedgerEntry, User, database

MAX_GRANT = 10_000_000


class Credits:
    def balance(self, user_id: int) -> int:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise NotFound(f"No user {user_id}.")
        return user.balance

    def debit(self, user_id: int, amount: int) -> None:
        """Take ``amount`` from an unblocked user who has it, or raise (nothing changes). Call
        inside the transaction that records what the credits are held for."""
        debited = fastsql.execute(
            'UPDATE "user" SET balance = balance - ? WHERE id = ? AND balance >= ? AND NOT blocked',
            amount, user_id, amount,
        )
        if not debited:
            user = User.get_or_none(User.id == user_id)
            if user is None:
                raise NotFound(f"No user {user_id}.")
            if user.blocked:
                raise UserBlocked("This account is blocked.", hint="Ask an admin to unblock it.")
            raise InsufficientCredits(amount, user.balance)

    def record_hold(self, user_id: int, amount: int, generation_id: int, *, actor: str, note: str) -> None:
        fastsql.insert(LedgerEntry, user=user_id, amount=-amount, reason="hold", actor=actor,
                       generation=generation_id, note=note)

    def give_back(self, user_id: int, amount: int, generation_id: int, note: str) -> None:
        """The balance side of a released hold (the generation row's side is in generations/rows.py)."""
        fastsql.execute('UPDATE "user" SET balance = balance + ? WHERE id = ?', amount, user_id)
        fastsql.insert(LedgerEntry, user=user_id, amount=amount, reason="release", actor="system",
                       generation=generation_id, note=note)

    def grant(self, user_id: int, amount: int, *, actor: str, note: str | None = None) -> int:
        """An admin adds credits: the ledger entry and the audit entry in one transaction.
        Returns the new balance."""
        with write_transaction(database.obj):
            before = self.balance(user_id)
            balance = self.add(user_id, amount, reason="grant", actor=actor, note=note)[0]
            audit.record(actor, "grant", user_id=user_id, target=f"user:{user_id}", before={"balance": before},
                         after={"balance": balance, "amount": amount}, reason=note)
        return balance

    def add(self, user_id: int, amount: int, *, reason: str, actor: str, note: str | None = None,
            **links) -> tuple[int, LedgerEntry]:
        """Add ``amount`` to the balance with its ledger entry: (new balance, the entry). Call
        inside the caller's transaction; ``links`` are the entry's foreign keys (topup=...)."""
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise InvalidInput(f"Amount must be a positive whole number, not {amount!r}.")
        if amount > MAX_GRANT:
            raise InvalidInput(f"Amount {amount} is above the per-grant limit of {MAX_GRANT}.")
        if not User.update(balance=User.balance + amount).where(User.id == user_id).execute():
            raise NotFound(f"No user {user_id}.")
        entry = LedgerEntry.create(user=user_id, amount=amount, reason=reason, actor=actor, note=note, **links)
        return User.get_by_id(user_id).balance, entry

    def ledger(self, user_id: int, *, limit: int = 50, offset: int = 0) -> list[LedgerEntry]:
        return list(
            LedgerEntry.select()
            .where(LedgerEntry.user == user_id)
            .order_by(LedgerEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )

    def discrepancies(self) -> list[tuple[int, int, int]]:
        """Users whose balance differs from the sum of their ledger: (id, balance, ledger sum).
        Empty when the books are right; a test and `db status` check this."""
        total = fn.COALESCE(fn.SUM(LedgerEntry.amount), 0)
        rows = (
            User.select(User.id, User.balance, total.alias("total"))
            .join(LedgerEntry, JOIN.LEFT_OUTER, on=(LedgerEntry.user == User.id))
            .group_by(User.id, User.balance)
            .having(total != User.balance)
            .tuples()
        )
        return [(uid, balance, int(total)) for uid, balance, total in rows]
