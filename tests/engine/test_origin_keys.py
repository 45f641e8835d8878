"""A hold keyed on what started it (a bot press) is held once, on SQLite and PostgreSQL:
the same key again, or two racing holds with it, charge once; other keys and keyless holds
(the CLI, the TUI) are not affected. (The migration: test_migrations_with_data.py.)"""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from higgsctl.engine import AlreadyHeld
from higgsctl.engine.models import Generation, LedgerEntry
from higgsctl.engine.requests import GenerationRequest

RACERS = 4


def hold(engine, key, count=1, user_id=1):
    return engine.generations.rows.hold_batch(user_id, 50, count, origin_key=key, model="nano-banana", prompt="p",
                                              aspect_ratio="1:1", source="bot")


def holds_of(user_id=1) -> int:
    return LedgerEntry.select().where((LedgerEntry.reason == "hold") & (LedgerEntry.user_id == user_id)).count()


def race(engine, keys, count=1) -> list[str]:
    """Every key held at the same moment from a thread of its own: "held" or "already"."""
    start = Barrier(len(keys))

    def attempt(key):
        start.wait()
        try:
            hold(engine, key, count)
            return "held"
        except AlreadyHeld:
            return "already"

    with ThreadPoolExecutor(len(keys)) as pool:
        return sorted(pool.map(attempt, keys))


def test_the_same_key_again_is_refused_and_charges_nothing(any_engine):
    any_engine.users.register(1)
    [first] = hold(any_engine, "cb:1")
    with pytest.raises(AlreadyHeld) as caught:
        hold(any_engine, "cb:1")
    assert caught.value.code == "already_held"
    assert any_engine.generations.held_for("cb:1") == first.id
    assert Generation.select().count() == 1 and holds_of() == 1
    assert any_engine.credits.balance(1) == 10000 - 50 and any_engine.credits.discrepancies() == []


def test_a_repeated_key_is_refused_as_held_even_when_the_balance_no_longer_covers_it(any_engine):
    any_engine.users.register(1)
    any_engine.generations.rows.hold(1, 10000 - 50, model="nano-banana", prompt="p", aspect_ratio="1:1")
    hold(any_engine, "cb:poor")
    with pytest.raises(AlreadyHeld):  # not InsufficientCredits: the bot must stay silent
        hold(any_engine, "cb:poor")


def test_other_keys_and_no_key_hold_every_time(any_engine):
    any_engine.users.register(1)
    hold(any_engine, "cb:1"), hold(any_engine, "cb:2"), hold(any_engine, None), hold(any_engine, None)
    assert Generation.select().count() == 4 and any_engine.credits.balance(1) == 10000 - 200
    assert any_engine.generations.held_for("cb:3") is None


def test_two_racing_holds_with_one_key_hold_once(any_engine):
    any_engine.users.register(1)
    for attempt in range(5):
        assert race(any_engine, [f"cb:race{attempt}"] * RACERS) == ["already"] * (RACERS - 1) + ["held"]
    assert Generation.select().count() == 5 and holds_of() == 5
    assert any_engine.credits.balance(1) == 10000 - 5 * 50 and any_engine.credits.discrepancies() == []


def test_racing_holds_with_different_keys_all_hold(any_engine):
    any_engine.users.register(1)
    assert race(any_engine, [f"cb:{n}" for n in range(RACERS)]) == ["held"] * RACERS
    assert Generation.select().count() == RACERS and any_engine.credits.balance(1) == 10000 - RACERS * 50


def test_a_batch_is_held_once_under_its_key(any_engine):
    any_engine.users.register(1)
    assert race(any_engine, ["cb:batch"] * RACERS, count=3) == ["already"] * (RACERS - 1) + ["held"]
    rows = list(Generation.select().order_by(Generation.id))
    assert [g.origin_key for g in rows] == ["cb:batch", "cb:batch#2", "cb:batch#3"]
    assert len({g.batch for g in rows}) == 1 and holds_of() == 3
    assert any_engine.credits.balance(1) == 10000 - 150 and any_engine.credits.discrepancies() == []
    assert any_engine.generations.held_for("cb:batch") == rows[0].id
    hold(any_engine, "cb:other", count=3)  # another press: another batch
    assert Generation.select().count() == 6


async def test_create_batch_refuses_a_repeated_key_before_anything_is_held(gen_engine):
    request = GenerationRequest(user_id=1, model="nano-banana", prompt="a fox", aspect_ratio="1:1", source="bot")
    [first] = await gen_engine.generations.create_batch(request, origin_key="cb:77")
    with pytest.raises(AlreadyHeld):
        await gen_engine.generations.create_batch(request, origin_key="cb:77")
    assert [g.id for g in Generation.select()] == [first.id] and gen_engine.credits.balance(1) == 10000 - 50

