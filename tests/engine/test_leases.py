"""Leases and the account's slots across processes, on SQLite and PostgreSQL: one owner per
job, takeover after expiry or a hand-back, and never more requests in flight than the limit,
however many processes claim at once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

from higgsctl.engine.account_slots import AccountSlots
from higgsctl.engine.leases import Leases
from higgsctl.engine.models import Generation, utcnow


def job(engine, leases=None, user_id=1):
    fields = leases.lease() if leases is not None else {}
    return engine.generations.rows.hold(user_id, 1, model="nano-banana", prompt="p", aspect_ratio="1:1", **fields).id


def test_one_owner_takeover_after_expiry_and_hand_back(any_engine):
    any_engine.users.register(1)
    a, b = Leases("a", ttl=30), Leases("b", ttl=30)
    gid = job(any_engine, a)
    assert b.orphans() == [] and not b.claim(gid)  # a drives it from its creation
    assert a.claim(gid) and a.renew() == 1 and a.mine() == [gid]
    Generation.update(lease_until=utcnow() - timedelta(seconds=1)).execute()  # a died
    assert b.orphans() == [gid] and a.orphans() == []  # (a's own expired lease is not an orphan to a)
    assert b.claim(gid) and not a.claim(gid) and b.mine() == [gid]
    assert b.give_back() == 1 and a.orphans() == [gid]  # handed back: taken at once
    assert a.claim(gid)
    any_engine.generations.finish(gid, "completed")
    assert a.orphans() == b.orphans() == [] and a.renew() == 0  # a finished job is nobody's


def test_rows_from_before_leases_are_orphans(any_engine):
    any_engine.users.register(1)
    gid = job(any_engine)
    assert Leases("x").orphans() == [gid]


def test_racing_claims_give_each_job_one_owner(any_engine):
    any_engine.users.register(1)
    ids = [job(any_engine) for _ in range(20)]
    owners = [Leases(f"p{n}") for n in range(4)]
    start = Barrier(4)

    def take(leases):
        start.wait()
        return [gid for gid in ids if leases.claim(gid)]

    with ThreadPoolExecutor(4) as pool:
        taken = [g for batch in pool.map(take, owners) for g in batch]
    # a claim by another owner fails while the lease is live: every job has exactly one owner
    assert sorted(taken) == ids


def test_the_account_limit_holds_across_racing_processes(any_engine):
    any_engine.users.register(1)
    ids = [job(any_engine) for _ in range(40)]
    slots = AccountSlots(limit=5)
    start = Barrier(8)

    def claim(chunk):
        start.wait()
        return [gid for gid in chunk if slots.claim(gid)]

    with ThreadPoolExecutor(8) as pool:
        held = [g for batch in pool.map(claim, [ids[n::8] for n in range(8)]) for g in batch]
    assert len(held) == 5 == slots.in_use()
    assert slots.claim(held[0])  # already holding: still true, nothing more counted
    any_engine.generations.rows.update(held[0], status="downloading", slot_held=False)  # as Job.complete does
    assert slots.in_use() == 4 and slots.claim(ids[-1] if ids[-1] not in held else ids[0])
    any_engine.generations.finish(held[1], "completed")
    assert slots.in_use() == 4  # ending a job frees its slot


def test_a_process_that_adopts_no_orphans_only_takes_its_own(any_engine):
    """A bot running against the sandbox must never drive another process's (real) jobs."""
    any_engine.users.register(1)
    generations = any_engine.generations
    theirs = job(any_engine)  # nobody's: any adopting process may take it
    generations.leases.owner = "host:bot-sandbox"
    ours = job(any_engine, generations.leases)
    generations.adopt_orphans = False
    assert generations.takeable() == [ours]
    generations.adopt_orphans = True
    assert generations.takeable() == sorted([theirs, ours])
