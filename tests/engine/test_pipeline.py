"""The generation pipeline as a package: status and charge enums whose values are what the
database and JSON hold, and the batch runner on the service."""

from __future__ import annotations

import json

import pytest

from higgsctl.engine import ACTIVE, TERMINAL, Charge, GenerationRequest, InvalidInput, Status
from higgsctl.engine.models import Generation


def test_status_and_charge_values_are_the_stored_strings():
    assert [s.value for s in ACTIVE] == ["pending", "uploading", "queued", "in_progress", "downloading"]
    assert [s.value for s in TERMINAL] == ["completed", "failed", "nsfw", "canceled", "timed_out"]
    assert set(Status) == set(ACTIVE) | set(TERMINAL)
    assert all(s.terminal for s in TERMINAL) and not any(s.terminal for s in ACTIVE)
    assert {c.value for c in Charge} == {"held", "captured", "released", "refunded"}
    assert json.dumps([Status.IN_PROGRESS, Charge.HELD]) == '["in_progress", "held"]'


async def test_run_batch_holds_then_runs_every_request_and_stores_plain_strings(gen_engine):
    events = []
    requests = [GenerationRequest(1, "nano-banana", f"fox {i}", "1:1") for i in range(3)]
    generations, interrupted = await gen_engine.generations.run_batch(requests, events.append)
    assert not interrupted and [g.status for g in generations] == ["completed"] * 3
    assert all(g.charge == Charge.CAPTURED for g in generations)
    raw = gen_engine.db.execute_sql('SELECT status, charge FROM "generation" ORDER BY id').fetchall()
    assert raw == [("completed", "captured")] * 3 and all(type(v) is str for row in raw for v in row)
    assert json.loads(json.dumps([e.status for e in events]))[-1] == "completed"
    assert Generation.select().where(Generation.status == Status.COMPLETED).count() == 3


async def test_run_batch_refused_request_holds_nothing(gen_engine):
    start = gen_engine.credits.balance(1)
    requests = [GenerationRequest(1, "nano-banana", "ok", "1:1"), GenerationRequest(1, "nano-banana", "", "1:1")]
    with pytest.raises(InvalidInput):  # the empty prompt
        await gen_engine.generations.run_batch(requests)
    assert gen_engine.credits.balance(1) == start  # the other one's hold was released
