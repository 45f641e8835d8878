"""The Higgsfield account's concurrency limit, counted in the database, so every process on
it (the bot, workers, `higgsctl generate`) together never has more than ``max_concurrent``
requests in flight upstream.

A generation holds a slot (``slot_held``) from just before its submit until its request is
done upstream; the statement that records the end upstream (downloading, or the end of the
job) frees it (rows.py, job.py). Claiming is one conditional update that counts the held
slots, under one lock: SQLite's write lock (an immediate transaction), a transaction-scoped
advisory lock on PostgreSQL. A process that dies leaves its slots held,
which is right: its requests are still running upstream until the job's new owner sees them end.
Within a process the fair queue (generations/queue.py) decides whose turn it is; this decides
whether the account has room.
"""

from __future__ import annotations

from . import fastsql
from .db import is_sqlite, write_transaction
from .models import Generation, database

LOCK = 0x686967736C6F7473  # the advisory lock of slot claims
# One statement: the row's own slot, or a free one (hot path: SQL text kept, see fastsql.py).
CLAIM = ('UPDATE "generation" SET "slot_held" = ? WHERE "id" = ? AND ("slot_held" OR '
         '(SELECT count(*) FROM "generation" WHERE "slot_held") < ?)')


class AccountSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def claim(self, generation_id: int) -> bool:
        """Hold a slot for this generation if the account has room (or it holds one already)."""
        db = database.obj
        with write_transaction(db):
            if not is_sqlite(db):
                db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
            return bool(fastsql.execute(CLAIM, True, generation_id, self.limit))

    @staticmethod
    def in_use() -> int:
        return Generation.select().where(Generation.slot_held).count()
