"""Jobs in the fair queue, against the sandbox over loopback: the order in which they reach
Higgsfield, the positions they report while they wait, cancels that never leak a slot, the
estimates from measured times, and a restart that re-queues fairly."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from higgsctl.engine import Engine, GenerationRequest
from higgsctl.engine.events import IN_LINE
from higgsctl.engine.models import Generation

from .test_generations import fast


class Submits:
    """The event sink: which generations reached Higgsfield, in order, and every IN_LINE event."""

    def __init__(self):
        self.order: list[int] = []
        self.lines: dict[int, list] = {}
        self.changed = asyncio.Event()

    def __call__(self, event) -> None:
        if event.status == "queued" and event.generation_id not in self.order:
            self.order.append(event.generation_id)
        if event.code == IN_LINE:
            self.lines.setdefault(event.generation_id, []).append(event)
        self.changed.set()

    async def until(self, predicate, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()


def engine_for(settings, sandbox, **higgsfield) -> Engine:
    engine = Engine(fast(settings, sandbox, **higgsfield))
    for user in range(1, 11):
        engine.users.register(user)
    return engine


async def hold(engine: Engine, user: int, count: int = 1):
    return await engine.generations.create_batch(GenerationRequest(user, "nano-banana", f"u{user}", "1:1", count=count))


async def busy_and_waiting(engine: Engine, submits: Submits, waiting: int = 1):
    """One job (user 1) holding the only slot, then ``waiting`` jobs (user 2) in line."""
    [busy] = await hold(engine, 1)
    queued = await hold(engine, 2, waiting)
    busy_task = asyncio.create_task(engine.generations.execute(busy.id, submits))
    await submits.until(lambda: busy.id in submits.order)
    tasks = [asyncio.create_task(engine.generations.execute(g.id, submits)) for g in queued]
    await submits.until(lambda: all(g.id in submits.lines for g in queued))
    return busy, busy_task, queued, tasks


async def test_a_single_image_goes_before_the_rest_of_a_burst_that_already_runs(settings, sandbox):
    sandbox.options.service_time = 0.2
    engine = engine_for(settings, sandbox, max_concurrent=1)
    burst = await hold(engine, 1, 4)
    [single] = await hold(engine, 2)
    submits = Submits()
    tasks = [asyncio.create_task(engine.generations.execute(g.id, submits)) for g in [*burst, single]]
    finals = await asyncio.gather(*tasks)
    assert [g.status for g in finals] == ["completed"] * 5
    assert submits.order == [burst[0].id, single.id, burst[1].id, burst[2].id, burst[3].id]
    assert engine.generations.slots.running == {} and engine.credits.discrepancies() == []
    await engine.aclose()


async def test_the_per_user_limit_caps_one_users_running_jobs(settings, sandbox):
    sandbox.options.service_time = 0.3
    engine = engine_for(settings, sandbox, max_concurrent=4, max_running_per_user=2)
    burst = await hold(engine, 1, 4)
    [other] = await hold(engine, 2)
    most, running = 0, set()

    def on_event(event):
        nonlocal most
        if event.generation_id == other.id:
            return
        if event.status == "queued":
            running.add(event.generation_id)
        elif event.status == "downloading" or event.terminal:
            running.discard(event.generation_id)
        most = max(most, len(running))

    submits = Submits()
    tasks = [asyncio.create_task(engine.generations.execute(g.id, on_event)) for g in burst]
    tasks.append(asyncio.create_task(engine.generations.execute(other.id, submits)))
    await asyncio.gather(*tasks)
    assert most == 2  # four free slots, but the burst ran two at a time
    assert submits.order == [other.id] and not submits.lines.get(other.id)  # the other user never waited
    await engine.aclose()


async def test_positions_are_emitted_and_updated_for_a_queue_of_ten(settings, sandbox):
    sandbox.options.service_time = 0.15
    engine = engine_for(settings, sandbox, max_concurrent=2)
    jobs = [g for user in range(1, 11) for g in await hold(engine, user)]
    submits = Submits()
    await asyncio.gather(*(engine.generations.execute(g.id, submits) for g in jobs))
    waited = [g.id for g in jobs[2:]]
    assert sorted(submits.lines) == waited  # the first two found free slots
    first = [submits.lines[gid][0].position for gid in waited]
    assert first == list(range(1, 9))  # one line, in arrival order (one job per user)
    for gid in waited:
        positions = [e.position for e in submits.lines[gid]]
        # only forward; two slots freed in one loop turn take the 2nd in line straight to a slot
        assert positions == sorted(set(positions), reverse=True) and positions[-1] <= 2
        assert all(e.status == "pending" and e.detail.startswith(("1st", "2nd", "3rd", f"{e.position}th"))
                   for e in submits.lines[gid])
    assert submits.order == [g.id for g in jobs]  # everyone started in turn
    # Nothing was measured at first; later estimates come from the jobs that finished.
    assert submits.lines[waited[0]][0].eta is None
    assert submits.lines[waited[-1]][-1].eta is not None
    await engine.aclose()


async def test_a_cancel_while_waiting_frees_nothing_it_did_not_take(settings, sandbox):
    sandbox.options.service_time = 30
    engine = engine_for(settings, sandbox, max_concurrent=1)
    submits = Submits()
    busy, busy_task, waiting, tasks = await busy_and_waiting(engine, submits, 2)
    assert await engine.generations.cancel(waiting[0].id)
    canceled = await asyncio.wait_for(tasks[0], 5)
    assert (canceled.status, canceled.charge, canceled.request_id) == ("canceled", "released", None)
    queue = engine.generations.slots
    assert [t.generation_id for t in queue.running] == [busy.id]  # still busy's, and only busy's
    await submits.until(lambda: submits.lines[waiting[1].id][-1].position == 1)  # moved up
    assert waiting[1].id not in submits.order
    for task in (busy_task, tasks[1]):
        task.cancel()
    await asyncio.gather(busy_task, tasks[1], return_exceptions=True)
    assert queue.running == {} and queue.waiting == 0
    await engine.aclose()


async def test_a_task_cancelled_mid_wait_never_leaks_a_slot(settings, sandbox):
    """Even when the slot was handed over in the same loop turn as the cancel."""
    sandbox.options.service_time = 30
    engine = engine_for(settings, sandbox, max_concurrent=1)
    submits = Submits()
    busy, busy_task, [waiting], [task] = await busy_and_waiting(engine, submits)
    queue = engine.generations.slots
    queue.resize(2)  # granted now, and cancelled before its job runs again
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert [t.generation_id for t in queue.running] == [busy.id]
    row = engine.generations.get(waiting.id)
    assert (row.status, row.charge) == ("canceled", "released")
    busy_task.cancel()
    await asyncio.gather(busy_task, return_exceptions=True)
    assert queue.running == {}
    await engine.aclose()


async def test_estimates_start_from_the_service_times_in_the_database(settings, sandbox):
    sandbox.options.service_time = 30
    engine = engine_for(settings, sandbox, max_concurrent=1)
    earlier = await hold(engine, 3, 3)
    for seconds, g in zip((20, 40, 30), earlier):  # completed earlier, by another process
        submitted = g.created_at
        Generation.update(status="completed", submitted_at=submitted, finished_at=submitted + timedelta(seconds=seconds),
                          charge="captured").where(Generation.id == g.id).execute()
    submits = Submits()
    busy, busy_task, [waiting], [task] = await busy_and_waiting(engine, submits)
    [event] = submits.lines[waiting.id]
    assert event.position == 1 and 25 <= event.eta <= 30  # median 30 s, minus what busy has run
    assert event.detail in ("1st in line, about 25 s", "1st in line, about 30 s")
    for t in (busy_task, task):
        t.cancel()
    await asyncio.gather(busy_task, task, return_exceptions=True)
    await engine.aclose()


async def test_a_restart_requeues_fairly(settings, sandbox):
    """Jobs a previous process held but never ran resume in round-robin order too."""
    sandbox.options.service_time = 0.2
    first = engine_for(settings, sandbox, max_concurrent=2)
    burst = await hold(first, 1, 4) + await hold(first, 1, 4)
    [single] = await hold(first, 2)
    first.close()  # the process dies before running them
    engine = Engine(fast(settings, sandbox, max_concurrent=2))
    submits = Submits()
    tasks = await engine.generations.resume_unfinished(submits)
    finals = await asyncio.gather(*tasks)
    assert [g.status for g in finals] == ["completed"] * 9
    assert submits.order.index(single.id) == 2  # two slots went to the burst: the next is the single's
    assert sorted(submits.order) == sorted(g.id for g in [*burst, single])
    assert engine.credits.discrepancies() == []
    await engine.aclose()
