"""Progress tells the truth: a job that is not moving says why (JobEvent.code), for faces to
translate; real faults from the sandbox (a busy account, an outage)."""

from __future__ import annotations

import asyncio

from higgsctl.engine import GenerationRequest
from higgsctl.engine.events import ACCOUNT_BUSY, LOCAL_SLOT, SERVICE_UNREACHABLE


class Recorder:
    """Records events; ``when(code, n, action)`` runs ``action`` at the n-th event with that code."""

    def __init__(self):
        self.events, self.actions = [], {}

    def when(self, code, n, action) -> "Recorder":
        self.actions[code, n] = action
        return self

    async def __call__(self, event) -> None:
        self.events.append(event)
        count = sum(e.code == event.code for e in self.events)
        action = self.actions.get((event.code, count))
        if action is not None:
            await action()

    def codes(self) -> list[tuple[str, str | None]]:
        return [(e.status, e.code) for e in self.events]


async def test_a_busy_account_is_not_a_local_slot(gen_engine, sandbox):
    sandbox.options.fault = "concurrency"

    async def free_the_account():
        sandbox.options.fault = None

    recorder = Recorder().when(ACCOUNT_BUSY, 2, free_the_account)
    generation = await asyncio.wait_for(gen_engine.generations.run(
        GenerationRequest(1, "nano-banana", "busy", "1:1"), recorder), 30)
    assert generation.status == "completed"
    assert recorder.codes()[:3] == [("pending", None), ("pending", ACCOUNT_BUSY), ("pending", ACCOUNT_BUSY)]
    assert LOCAL_SLOT not in {e.code for e in recorder.events}
    assert "concurrency limit" in recorder.events[1].detail


async def test_an_outage_at_submit_says_the_service_is_unreachable(gen_engine, sandbox):
    await sandbox.go_offline()
    recorder = Recorder().when(SERVICE_UNREACHABLE, 1, sandbox.go_online)
    generation = await asyncio.wait_for(gen_engine.generations.run(
        GenerationRequest(1, "nano-banana", "offline", "1:1"), recorder), 30)
    assert generation.status == "completed" and generation.charge == "captured"
    assert recorder.codes()[:3] == [("pending", None), ("pending", SERVICE_UNREACHABLE), ("queued", None)]
    assert sandbox.stats.submits == 1


async def test_an_outage_while_generating_says_so_and_clears_when_it_ends(gen_engine, sandbox):
    sandbox.options.service_time = 1.0
    recorder = Recorder().when(SERVICE_UNREACHABLE, 1, sandbox.go_online)

    async def on_event(event):
        await recorder(event)
        if (event.status, event.code) == ("queued", None) and sandbox.stats.total_status_calls == 0:
            await sandbox.go_offline()  # submitted: the service drops off before the first status check

    generation = await asyncio.wait_for(gen_engine.generations.run(
        GenerationRequest(1, "nano-banana", "outage", "1:1"), on_event), 30)
    assert generation.status == "completed" and generation.charge == "captured"
    codes = recorder.codes()
    unreachable = codes.index(("queued", SERVICE_UNREACHABLE))
    assert codes[unreachable + 1][1] is None  # the next good answer clears the warning
    assert codes[-2:] == [("downloading", None), ("completed", None)]
