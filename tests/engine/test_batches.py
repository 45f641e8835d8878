"""A request for several images: one generation row each, held together or not at all,
on SQLite and PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from higgsctl.engine import InsufficientCredits
from higgsctl.engine.events import Charge, Status
from higgsctl.engine.models import Generation, LedgerEntry
from higgsctl.engine.requests import GenerationRequest


def hold_batch(engine, user_id, count, cost=50):
    return engine.generations.rows.hold_batch(user_id, cost, count, model="nano-banana", prompt="p",
                                              aspect_ratio="1:1")


def test_a_batch_holds_every_image_under_one_key_with_a_ledger_entry_each(any_engine):
    any_engine.users.register(1)
    batch = hold_batch(any_engine, 1, 3)
    assert len({g.batch for g in batch}) == 1 and batch[0].batch is not None
    assert len({g.idempotency_key for g in batch}) == 3
    assert any_engine.credits.balance(1) == 10000 - 150
    holds = LedgerEntry.select().where(LedgerEntry.reason == "hold")
    assert sorted(e.generation_id for e in holds) == sorted(g.id for g in batch)
    assert hold_batch(any_engine, 1, 1)[0].batch is None  # one image is no batch
    assert any_engine.credits.discrepancies() == []


def test_a_batch_the_balance_cannot_cover_holds_nothing(any_engine):
    any_engine.users.register(1)
    any_engine.generations.rows.hold(1, 10000 - 100, model="nano-banana", prompt="p", aspect_ratio="1:1")
    with pytest.raises(InsufficientCredits) as caught:
        hold_batch(any_engine, 1, 3)  # 150 asked, 100 left: not two of three
    assert caught.value.params == {"needed": 150, "balance": 100}
    assert Generation.select().count() == 1 and any_engine.credits.balance(1) == 100


def test_concurrent_batches_never_overdraw(any_engine):
    any_engine.users.register(1)
    any_engine.generations.rows.hold(1, 10000 - 200, model="nano-banana", prompt="p", aspect_ratio="1:1")

    def attempt(_):
        try:
            return len(hold_batch(any_engine, 1, 3))
        except InsufficientCredits:
            return 0

    with ThreadPoolExecutor(4) as pool:
        held = list(pool.map(attempt, range(4)))
    assert sorted(held) == [0, 0, 0, 3]  # 200 credits: one batch of 150, never a part of another
    assert any_engine.credits.balance(1) == 50 and any_engine.credits.discrepancies() == []


async def test_a_batch_runs_to_one_image_each_and_charges_count_times_price(gen_engine):
    request = GenerationRequest(user_id=1, model="nano-banana", prompt="three cats", aspect_ratio="1:1", count=3,
                                options=(("output_format", "jpeg"),))
    generations, interrupted = await gen_engine.generations.run_batch([request])
    assert not interrupted and len(generations) == 3
    assert {g.status for g in generations} == {Status.COMPLETED}
    assert {g.charge for g in generations} == {Charge.CAPTURED}
    assert all(len(g.result_files) == 1 and g.options == {"output_format": "jpeg"} for g in generations)
    assert gen_engine.credits.balance(1) == 10000 - 3 * 50


async def test_create_refuses_a_batch_so_no_caller_drops_images(gen_engine):
    with pytest.raises(ValueError):
        await gen_engine.generations.create(GenerationRequest(user_id=1, model="nano-banana", prompt="p",
                                                              aspect_ratio="1:1", count=2))
    assert Generation.select().count() == 0
