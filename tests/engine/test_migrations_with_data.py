"""Every migration applies to a database that already holds data (users referenced by
generations, generations by ledger entries and top-ups): an upgrade in the field, on SQLite
(foreign keys on) and PostgreSQL."""

import pytest
from peewee import IntegrityError
from playhouse.db_url import connect

from higgsctl.engine.db import migration_runner, open_database
from higgsctl.engine.models import Generation, LedgerEntry, TopUpRequest, User, database


def test_all_migrations_apply_over_existing_rows(database_url):
    db = connect(database_url, pragmas={"foreign_keys": 1}) if database_url.startswith("sqlite") else connect(database_url)
    database.initialize(db)
    migration_runner(db).up(target="0001_initial")
    p = db.param
    db.execute_sql('INSERT INTO "user" (id, username, first_name, language, balance, blocked, created_at, last_seen_at) '
                   f"VALUES (7, 'ann', 'Ann', 'en', 50, FALSE, {p}, {p})", ("2024-01-01", "2024-01-01"))
    db.execute_sql('INSERT INTO generation (user_id, model, prompt, aspect_ratio, "references", source, idempotency_key, '
                   "status, result_files, cost, charge, created_at) VALUES (7, 'm', 'a cat', '1:1', '[]', 'bot', 'k1', "
                   f"'completed', '[]', 50, 'captured', {p})", ("2024-01-01",))
    gid = db.execute_sql("SELECT id FROM generation").fetchone()[0]
    db.execute_sql("INSERT INTO ledger_entry (user_id, amount, reason, actor, generation_id, created_at) "
                   f"VALUES (7, -50, 'hold', 'bot', {gid}, {p})", ("2024-01-01",))
    db.execute_sql("INSERT INTO top_up_request (user_id, amount, status, created_at) "
                   f"VALUES (7, 2500, 'pending', {p})", ("2024-01-01",))
    db.close()
    db = open_database(database_url)  # applies everything else
    try:
        assert all(m.applied for m in migration_runner(db).status())
        user = User.get_by_id(7)
        assert (user.balance, user.confirm_repeats, user.blocked_bot_at) == (50, True, None)
        generation = Generation.get_by_id(gid)
        assert (generation.prompt, generation.slot_held, generation.batch) == ("a cat", False, None)
        assert LedgerEntry.select().count() == 1 and TopUpRequest.select().count() == 1
        assert (TopUpRequest.get().reason, TopUpRequest.get().reason_shared) == (None, False)
        assert generation.origin_key is None  # 0021: a press is held once (unique, NULLs never collide)
        for key in ("k2", "k3"):
            Generation.create(user=7, model="m", prompt="p", aspect_ratio="1:1", cost=1, idempotency_key=key)
        Generation.create(user=7, model="m", prompt="p", aspect_ratio="1:1", cost=1, idempotency_key="k4",
                          origin_key="cb:1")
        with pytest.raises(IntegrityError), db.atomic():
            Generation.create(user=7, model="m", prompt="p", aspect_ratio="1:1", cost=1, idempotency_key="k5",
                              origin_key="cb:1")
    finally:
        db.close()
