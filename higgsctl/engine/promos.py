"""Promo codes: an admin creates a code worth N credits for M redemptions (each user once,
optionally until a date); a user redeems it with /promo CODE or a t.me deep link.

Redeeming is one transaction: the use is counted with a conditional UPDATE (``used <
max_uses``), so when two users race for the last use exactly one gets it; the redemption row is
unique per (code, user), so one user's double tap credits once; the credits and their ledger
entry (reason ``promo``) land with them, or nothing does.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from peewee import IntegrityError

from . import audit
from .credits import MAX_GRANT, Credits
from .db import write_transaction
from .errors import InvalidInput, NotFound, UserBlocked
from .models import PromoCode, PromoRedemption, User, database, utcnow

CODE = re.compile(r"[A-Z0-9_-]{3,32}")  # what a deep link's start parameter can carry (with "promo-")
DEEP_LINK_PREFIX = "promo-"


def parse_expiry(text: str) -> datetime:
    """When a code stops working, as an admin types it (the CLI's --expires, the dashboard's
    dialog): a date means through the end of that day, UTC; an ISO time is taken as is (UTC
    when it names no zone). Stored as naive UTC, like every time in the database."""
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text!r} is not a date.", hint="Like 2026-12-31 or 2026-12-31T18:00.") from None
    if len(text) == 10:  # a bare date: valid through that day
        value = value.replace(hour=23, minute=59, second=59)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


class PromoRefused(InvalidInput):
    """A code that can't be redeemed (now, or by this user): ``code`` says why."""


def normalize(code: str) -> str:
    """The stored spelling of a code typed in any case, with stray spaces; InvalidInput if it
    can't be one."""
    folded = (code or "").strip().upper()
    if not CODE.fullmatch(folded):
        raise InvalidInput(f"{code!r} is not a promo code: 3-32 letters A-Z, digits, '_' or '-'.",
                           code="promo_malformed")
    return folded


class Promos:
    def __init__(self, credits: Credits) -> None:
        self.credits = credits

    def create(self, code: str, credits: int, uses: int, *, actor: str, expires_at: datetime | None = None) -> PromoCode:
        code = normalize(code)
        if not isinstance(credits, int) or not 0 < credits <= MAX_GRANT:
            raise InvalidInput(f"Credits must be a whole number from 1 to {MAX_GRANT}, not {credits!r}.")
        if not isinstance(uses, int) or uses < 1:
            raise InvalidInput(f"Uses must be a whole number of at least 1, not {uses!r}.")
        if expires_at is not None and expires_at <= utcnow():
            raise InvalidInput(f"The expiry {expires_at:%Y-%m-%d %H:%M} UTC is already past.")
        try:
            with write_transaction(database.obj):
                promo = PromoCode.create(code=code, credits=credits, max_uses=uses, expires_at=expires_at,
                                         created_by=actor)
                audit.record(actor, "promo_create", target=f"promo:{code}",
                             after={"credits": credits, "uses": uses,
                                    "expires_at": expires_at.isoformat() if expires_at else None})
                return promo
        except IntegrityError:
            raise InvalidInput(f"The promo code {code} already exists.",
                               hint="`higgsctl promo list` shows it; pick another code.") from None

    def get(self, code: str) -> PromoCode:
        promo = PromoCode.get_or_none(PromoCode.code == normalize(code))
        if promo is None:
            raise NotFound(f"No promo code {normalize(code)}.", hint="`higgsctl promo list` lists them.")
        return promo

    def list(self, limit: int = 200) -> list[PromoCode]:
        return list(PromoCode.select().order_by(PromoCode.id.desc()).limit(limit))

    def disable(self, code: str, *, actor: str = "system", reason: str | None = None) -> bool:
        """Stop a code from being redeemed; False if it already was disabled (nothing recorded)."""
        promo = self.get(code)
        with write_transaction(database.obj):
            if not PromoCode.update(disabled=True).where((PromoCode.id == promo.id) & ~PromoCode.disabled).execute():
                return False
            audit.record(actor, "promo_disable", target=f"promo:{promo.code}", before={"disabled": False, "used": promo.used},
                         after={"disabled": True}, reason=reason)
        return True

    def redeem(self, user_id: int, code: str) -> tuple[PromoCode, int]:
        """Credit the code's value to the user, exactly once; (the code, the new balance).
        PromoRefused (code promo_unknown/_disabled/_expired/_used_up/_already) when it can't be."""
        spelled = normalize(code)
        with write_transaction(database.obj):
            promo = PromoCode.get_or_none(PromoCode.code == spelled)
            if promo is None:
                raise PromoRefused(f"No promo code {spelled}.", code="promo_unknown", promo=spelled)
            user = User.get_or_none(User.id == user_id)
            if user is None:
                raise NotFound(f"No user {user_id}.")
            if user.blocked:
                raise UserBlocked("This account is blocked.")
            if PromoRedemption.get_or_none((PromoRedemption.promo == promo.id) & (PromoRedemption.user == user_id)):
                raise PromoRefused(f"{user_id} already redeemed {spelled}.", code="promo_already", promo=spelled)
            if promo.disabled:
                raise PromoRefused(f"The promo code {spelled} was disabled.", code="promo_disabled", promo=spelled)
            if promo.expires_at is not None and promo.expires_at <= utcnow():
                raise PromoRefused(f"The promo code {spelled} has expired.", code="promo_expired", promo=spelled)
            counted = (PromoCode.update(used=PromoCode.used + 1)
                       .where((PromoCode.id == promo.id) & (PromoCode.used < PromoCode.max_uses)).execute())
            if not counted:
                raise PromoRefused(f"The promo code {spelled} has been used up.", code="promo_used_up", promo=spelled)
            balance, entry = self.credits.add(user_id, promo.credits, reason="promo", actor=f"user:{user_id}",
                                              note=f"promo code {spelled}")
            try:
                PromoRedemption.create(promo=promo.id, user=user_id, ledger=entry.id)
            except IntegrityError:  # the same user, racing themselves: the whole transaction goes
                raise PromoRefused(f"{user_id} already redeemed {spelled}.", code="promo_already", promo=spelled) from None
        return promo, balance
