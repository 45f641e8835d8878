"""PostgreSQL's LISTEN/NOTIFY between processes (engine/pg_listen.py): news goes out with the
commit and not before; a job waiting for an account slot that another process holds starts
as soon as that process frees it, not at its next (here: 30 s away) look."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest

from higgsctl.engine import GenerationRequest
from higgsctl.engine.account_slots import AccountSlots
from higgsctl.engine.db import open_database, write_transaction
from higgsctl.engine.generations import job as job_module
from higgsctl.engine.models import database
from higgsctl.engine.pg_listen import SLOTS, Listener, notify
from higgsctl.launch import open_engine, sandbox_options, settings_for_sandbox
from higgsctl.sandbox import Sandbox
from tests.waiting import eventually


async def test_news_goes_out_with_the_commit(pg_database):
    open_database(pg_database.url())
    heard: list[str] = []
    listener = Listener(pg_database.url(), {SLOTS: heard.append})
    await listener.start()
    try:
        with write_transaction(database.obj):
            notify(SLOTS, "first")
            await asyncio.sleep(0.2)  # the transaction is open: nothing may be heard yet
            assert heard == []
        await eventually(lambda: heard == ["first"], what="the committed notification")
        with pytest.raises(RuntimeError):
            with write_transaction(database.obj):
                notify(SLOTS, "rolled back")
                raise RuntimeError
        with write_transaction(database.obj):
            notify(SLOTS, "second")
        await eventually(lambda: heard == ["first", "second"], what="the second notification")  # never "rolled back"
    finally:
        listener.stop()


async def test_a_slot_freed_by_another_process_wakes_the_waiting_job_at_once(settings, pg_database, monkeypatch):
    monkeypatch.setattr(job_module, "ACCOUNT_POLL_FIRST", 30.0)  # without the news: 30 s to look again
    monkeypatch.setattr(job_module, "ACCOUNT_POLL_MAX", 30.0)
    hf = replace(settings.higgsfield, max_concurrent=1)
    pg = replace(settings, higgsfield=hf, database_url=pg_database.url())
    async with Sandbox(sandbox_options(pg, service_time=0.1)) as sandbox:
        async with open_engine(settings_for_sandbox(pg, sandbox)) as engine:
            engine.users.register(1)
            request = GenerationRequest(user_id=1, model="nano-banana", prompt="waits", aspect_ratio="1:1")
            [theirs] = await engine.generations.create_batch(request, lease=False)
            assert AccountSlots(1).claim(theirs.id)  # another process's job holds the only slot
            busy = asyncio.Event()
            mine = asyncio.create_task(engine.generations.run(
                request, lambda e: busy.set() if e.code == job_module.ACCOUNT_BUSY else None))
            await asyncio.wait_for(busy.wait(), 10)
            # (news sent before the process listens is lost: its looks are the net for that)
            await eventually(lambda: engine.generations.listener is not None and engine.generations.listener.listening,
                             what="the engine to listen")
            freed = time.monotonic()
            await asyncio.to_thread(engine.generations.rows.mark_downloading, theirs.id)  # "its" request ended
            generation = await asyncio.wait_for(mine, 10)
            assert generation.status == "completed" and time.monotonic() - freed < 10
