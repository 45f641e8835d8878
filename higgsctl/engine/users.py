"""Users: registration with sign-up credits, lookup by id or @username, blocking."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from peewee import JOIN, IntegrityError, fn

from . import audit
from .db import contains_folded, write_transaction
from .errors import InvalidInput, NotFound
from .folding import user_names
from .models import OPERATOR_ID, Generation, LedgerEntry, User, database, utcnow

SORTABLE = {"id", "username", "balance", "created_at", "last_seen_at"}
# A Telegram id is written in the digits 0-9: str.isdigit() also takes "²" (which int()
# refuses) and "٣" (which int() reads as 3: never the id someone meant).
_TELEGRAM_ID = re.compile(r"-?[0-9]{1,19}\Z", re.ASCII)
_MAX_ID = 2**63 - 1  # a BIGINT: a larger number can be no one's id


def telegram_id(text: str) -> int | None:
    """The id ``text`` spells in ASCII digits (within a BIGINT), or None."""
    if not _TELEGRAM_ID.match(text):
        return None
    value = int(text)
    return value if -_MAX_ID <= value <= _MAX_ID else None


@dataclass(frozen=True)
class UserRow:
    """One line of the users table, with counts the dashboard and `users list` show."""

    user: User
    generations: int


class Users:
    def __init__(self, initial_credits: int) -> None:
        self.initial_credits = initial_credits

    def register(
        self,
        user_id: int,
        *,
        username: str | None = None,
        first_name: str = "",
        last_name: str | None = None,
        language: str = "en",
    ) -> tuple[User, bool]:
        """Get or create the user; a new user gets the sign-up credits in the same transaction.
        Known users get their names and last-seen time refreshed. Returns (user, created)."""
        existing = User.get_or_none(User.id == user_id)
        if existing is not None:
            changes = {"last_seen_at": utcnow()}
            if (username, first_name, last_name) != (existing.username, existing.first_name, existing.last_name):
                changes.update(username=username, first_name=first_name, last_name=last_name,
                               name_folded=user_names(username, first_name, last_name))
            User.update(**changes).where(User.id == user_id).execute()
            return User.get_by_id(user_id), False
        try:
            with write_transaction(database.obj):
                user = User.create(
                    id=user_id, username=username, first_name=first_name, last_name=last_name,
                    name_folded=user_names(username, first_name, last_name),
                    language=language, balance=self.initial_credits,
                )
                if self.initial_credits:
                    LedgerEntry.create(user=user, amount=self.initial_credits, reason="signup", actor="system")
        except IntegrityError:  # registered concurrently by another update or process
            return User.get_by_id(user_id), False
        return user, True

    def seen(self, user_id: int) -> None:
        """The user just used the bot: fresh last-seen time (at most one write a minute) and,
        if they had blocked the bot, they no longer have."""
        now = utcnow()
        (User.update(last_seen_at=now, blocked_bot_at=None)
         .where((User.id == user_id) & ((User.last_seen_at < now - timedelta(minutes=1))
                                        | User.blocked_bot_at.is_null(False))).execute())

    def operator(self) -> User:
        return self.register(OPERATOR_ID, username="operator", first_name="CLI operator")[0]

    def get(self, user_id: int) -> User:
        user = User.get_or_none(User.id == user_id)
        if user is None:
            raise NotFound(f"No user {user_id}.", hint="`higgsctl users list` shows who exists.")
        return user

    def resolve(self, ref: str | int) -> User:
        """A user from a Telegram id ("123456") or a username ("@name")."""
        text = str(ref).strip()
        if text.startswith("@"):
            name = text[1:]
            user = User.get_or_none(fn.LOWER(User.username) == name.lower()) if name else None
            if user is None:
                raise NotFound(f"No user {text}.", hint="`higgsctl users list` shows who exists.")
            return user
        user_id = telegram_id(text)
        if user_id is None:
            raise InvalidInput(f"{text!r} is neither a Telegram id nor an @username.")
        if user_id == OPERATOR_ID:  # the CLI's own account exists as soon as anyone names it
            return self.operator()
        return self.get(user_id)

    def set_blocked(self, user_id: int, blocked: bool, *, actor: str = "system", reason: str | None = None) -> User:
        """Block or unblock, with its audit entry in the same transaction (none when the
        user already was in that state: nothing changed)."""
        with write_transaction(database.obj):
            user = self.get(user_id)
            if user.blocked != blocked:
                User.update(blocked=blocked).where(User.id == user_id).execute()
                audit.record(actor, "block" if blocked else "unblock", user_id=user_id, target=f"user:{user_id}",
                             before={"blocked": user.blocked}, after={"blocked": blocked}, reason=reason)
        return User.get_by_id(user_id)

    def set_language(self, user_id: int, language: str) -> None:
        User.update(language=language).where(User.id == user_id).execute()

    def count(self, search: str | None = None) -> int:
        return self._query(search).count()

    def list(
        self,
        *,
        search: str | None = None,
        order: str = "id",
        descending: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[UserRow]:
        if order not in SORTABLE | {"generations"}:
            raise InvalidInput(f"Cannot sort users by {order!r}.")
        count = fn.COUNT(Generation.id)
        column = count if order == "generations" else getattr(User, order)
        query = (
            self._query(search)
            .select_extend(count.alias("generation_count"))
            .join(Generation, JOIN.LEFT_OUTER, on=(Generation.user == User.id))
            .group_by(User.id)
            .order_by(column.desc() if descending else column.asc(), User.id)
            .limit(limit)
            .offset(offset)
        )
        return [UserRow(user, user.generation_count) for user in query]

    @staticmethod
    def _query(search: str | None):
        """Users whose id is the search, or whose username or full name contains it, in any
        case and script."""
        query = User.select()
        text = (search or "").strip().removeprefix("@").strip()
        if text:
            clauses = contains_folded(User.name_folded, text)
            if (user_id := telegram_id(text)) is not None:
                clauses |= User.id == user_id
            query = query.where(clauses)
        return query
