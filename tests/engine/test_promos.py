"""Promo codes on SQLite and PostgreSQL: each use counted once, each user once, the last use
to exactly one of two racing users, and nothing moves on a refusal."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from threading import Barrier

import pytest

from higgsctl.engine import InvalidInput, PromoRefused, UserBlocked
from higgsctl.engine.models import LedgerEntry, PromoRedemption, utcnow


@pytest.fixture
def promos(any_engine):
    for user_id in range(1, 11):
        any_engine.users.register(user_id)
    return any_engine


def refusal(engine, user_id, code) -> str:
    with pytest.raises(PromoRefused) as caught:
        engine.promos.redeem(user_id, code)
    return caught.value.code


def test_a_code_in_any_case_credits_once_per_user_with_a_ledger_entry(promos):
    promos.promos.create("Spring-25", 300, 5, actor="cli:ops")
    promo, balance = promos.promos.redeem(1, "  spring-25 ")
    assert (promo.code, balance) == ("SPRING-25", 10300)
    assert refusal(promos, 1, "SPRING-25") == "promo_already"
    [entry] = LedgerEntry.select().where(LedgerEntry.reason == "promo")
    assert (entry.user_id, entry.amount, entry.note) == (1, 300, "promo code SPRING-25")
    assert promos.promos.get("spring-25").used == 1 and promos.credits.discrepancies() == []


def test_used_up_expired_disabled_and_unknown_codes_move_nothing(promos):
    promos.promos.create("ONCE", 100, 1, actor="cli")
    promos.promos.redeem(1, "once")
    assert refusal(promos, 2, "once") == "promo_used_up"
    promos.promos.create("SOON", 100, 9, actor="cli", expires_at=utcnow() + timedelta(seconds=0.2))
    from higgsctl.engine.models import PromoCode
    PromoCode.update(expires_at=utcnow() - timedelta(seconds=1)).where(PromoCode.code == "SOON").execute()
    assert refusal(promos, 2, "soon") == "promo_expired"
    promos.promos.create("OFF", 100, 9, actor="cli")
    assert promos.promos.disable("off") and not promos.promos.disable("off")
    assert refusal(promos, 2, "off") == "promo_disabled"
    assert refusal(promos, 2, "NOPE") == "promo_unknown"
    assert promos.credits.balance(2) == 10000 and PromoRedemption.select().count() == 1


@pytest.mark.parametrize("code", ["", "ab", "x" * 33, "with space", "<b>x</b>", "promo/1", "ÜBER", "１２３"])
def test_malformed_codes_are_refused_before_any_lookup(promos, code):
    with pytest.raises(InvalidInput) as caught:
        promos.promos.redeem(1, code)
    assert caught.value.code == "promo_malformed"


@pytest.mark.parametrize("credits, uses", [(0, 1), (-5, 1), (10, 0), (10_000_001, 1), (1.5, 1)])
def test_creating_refuses_bad_amounts_and_duplicate_codes(promos, credits, uses):
    with pytest.raises(InvalidInput):
        promos.promos.create("GOOD", credits, uses, actor="cli")
    promos.promos.create("GOOD", 10, 1, actor="cli")
    with pytest.raises(InvalidInput, match="already exists"):
        promos.promos.create("good", 10, 1, actor="cli")


def test_a_blocked_user_cannot_redeem(promos):
    promos.promos.create("GIFT", 10, 9, actor="cli")
    promos.users.set_blocked(3, True)
    with pytest.raises(UserBlocked):
        promos.promos.redeem(3, "gift")
    assert promos.promos.get("gift").used == 0


def test_the_last_use_goes_to_exactly_one_of_two_racing_users(promos):
    for attempt in range(5):
        code = f"LAST{attempt}"
        promos.promos.create(code, 50, 1, actor="cli")
        start = Barrier(2)

        def redeem(user_id):
            start.wait()
            try:
                promos.promos.redeem(user_id, code)
                return "ok"
            except PromoRefused as exc:
                return exc.code

        with ThreadPoolExecutor(2) as pool:
            outcomes = sorted(pool.map(redeem, (2 * attempt + 1, 2 * attempt + 2)))
        assert outcomes == ["ok", "promo_used_up"]
        assert promos.promos.get(code).used == 1
    assert promos.credits.discrepancies() == []


def test_one_user_double_tapping_is_credited_once(promos):
    promos.promos.create("TAP", 70, 10, actor="cli")
    start = Barrier(4)

    def redeem(_):
        start.wait()
        try:
            return promos.promos.redeem(1, "tap")[1]
        except PromoRefused as exc:
            return exc.code

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(redeem, range(4)))
    assert sorted(map(str, outcomes)) == ["10070", "promo_already", "promo_already", "promo_already"]
    assert promos.credits.balance(1) == 10070 and promos.promos.get("tap").used == 1


@pytest.mark.parametrize(("typed", "stored"), [
    ("2026-12-31", datetime(2026, 12, 31, 23, 59, 59)),  # a day: through its end, UTC
    (" 2026-12-31 ", datetime(2026, 12, 31, 23, 59, 59)),
    ("2026-12-31T18:00", datetime(2026, 12, 31, 18, 0)),  # a naive time is UTC
    ("2026-12-31T18:00+03:00", datetime(2026, 12, 31, 15, 0)),  # a zone is converted
    ("2027-01-01T01:00+05:00", datetime(2026, 12, 31, 20, 0)),
])
def test_one_expiry_parser_for_the_cli_and_the_dashboard(typed, stored):
    from higgsctl.engine.promos import parse_expiry

    assert parse_expiry(typed) == stored


@pytest.mark.parametrize("typed", ["soon", "31.12.2026", "2026-13-01", "", "２０２６-１２-３１"])
def test_an_expiry_that_is_no_date_is_refused(typed):
    from higgsctl.engine.promos import parse_expiry

    with pytest.raises(InvalidInput):
        parse_expiry(typed)
