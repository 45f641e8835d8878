"""The Higgsfield account's concurrency limit, counted in the database, so every process on
it (the bot, workers, `higgsctl generate`) together never has more than ``max_concurrent``
requests in flight upstream.

A generation holds a slot (``slot_held``) from just before its submit until its request is
done upstream; ending the generation frees it in the same statement (rows.py). Claiming is a
count and a conditional update under one lock: SQLite's write lock (an immediate transaction),
a transaction-scoped advisory lock on PostgreSQL. A process that dies leaves its slots held,
which is right: its requests are still running upstream until the job's new owner sees them end.
Within a process the fair queue (generations/queue.py) decides whose turn it is; this decides
whether the account has room.
"""

from __future__ import annotations

from .db import is_sqlite, write_transaction
from .models import Generation, database

LOCK = 0x686967736C6F7473  # the advisory lock of slot claims


class AccountSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def claim(self, generation_id: int) -> bool:
        """Hold a slot for this generation if the account has room (or it holds one already)."""
        db = database.obj
        with write_transaction(db):
            if not is_sqlite(db):
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
            held = Generation.select(Generation.slot_held).where(Generation.id == generation_id).scalar()
            if held:
                return True
            if self.in_use() >= self.limit:
                return False
            return bool(Generation.update(slot_held=True).where(Generation.id == generation_id).execute())

    @staticmethod
    def release(generation_id: int) -> None:
        Generation.update(slot_held=False).where((Generation.id == generation_id) & Generation.slot_held).execute()

    @staticmethod
    def in_use() -> int:
        return Generation.select().where(Generation.slot_held).count()
