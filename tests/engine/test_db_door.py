"""The engine's one door off the event loop for database work (Engine.run_db): one thread
on SQLite, a small pool on PostgreSQL, counted, and closed with the engine."""

from __future__ import annotations

import asyncio
import threading

from higgsctl.engine import GenerationRequest

from tests.db_spy import record_statement_threads


async def test_run_db_uses_one_thread_on_sqlite_and_a_small_pool_on_postgres(any_engine, database_url):
    engine = any_engine
    user, _ = await engine.run_db(engine.users.register, 7, username="eve")
    gate = threading.Barrier(2, timeout=2)

    def work(i: int) -> tuple[str, int]:
        if i < 2 and not database_url.startswith("sqlite"):
            gate.wait()  # two calls at once: only possible on a pool
        return threading.current_thread().name, engine.credits.balance(user.id)

    seen = await asyncio.gather(*(engine.run_db(work, i) for i in range(20)))
    threads = {name for name, _ in seen}
    assert {balance for _, balance in seen} == {user.balance}
    assert all(name.startswith("higgsctl-db") for name in threads)
    if database_url.startswith("sqlite"):
        assert len(threads) == 1  # writers in this process never contend for SQLite's lock
    else:
        assert 2 <= len(threads) <= 4
    assert engine.door.calls == 21 and engine.door.seconds > 0


async def test_the_door_is_closed_with_the_engine(any_engine):
    thread = await any_engine.run_db(threading.current_thread)
    assert thread.is_alive()
    await any_engine.aclose()
    assert not thread.is_alive()


async def test_a_generation_runs_every_statement_through_the_door(gen_engine, monkeypatch):
    threads = record_statement_threads(monkeypatch)
    request = GenerationRequest(1, "nano-banana", "a fox", "1:1")
    generation = await gen_engine.generations.run(request)
    assert generation.status == "completed"
    assert set(threads) == {"higgsctl-db_0"}  # none on the loop, none through asyncio.to_thread
    assert gen_engine.door.calls >= 5


async def test_a_read_is_not_queued_behind_a_long_write(any_engine, database_url):
    """On SQLite a read has its own thread and connection: WAL lets it read the last committed
    state while the writer thread is inside a transaction."""
    from higgsctl.engine.db import write_transaction
    from higgsctl.engine.models import User, database

    engine = any_engine
    user, _ = await engine.run_db(engine.users.register, 7, username="eve")
    inside, leave = threading.Event(), threading.Event()

    def long_write() -> None:
        with write_transaction(database.obj):
            User.update(balance=User.balance + 1).where(User.id == user.id).execute()
            inside.set()
            assert leave.wait(10)

    writing = asyncio.ensure_future(engine.run_db(long_write))
    await asyncio.to_thread(inside.wait, 10)
    try:
        name, balance = await asyncio.wait_for(
            engine.read_db(lambda: (threading.current_thread().name, engine.credits.balance(user.id))), 10)
    finally:
        leave.set()
        await writing
    assert balance == user.balance  # the uncommitted change is not seen
    assert name.startswith("higgsctl-db-read" if database_url.startswith("sqlite") else "higgsctl-db")
    assert await engine.read_db(engine.credits.balance, user.id) == user.balance + 1
