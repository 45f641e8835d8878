"""Which parts of a job's outcome reached the user is kept in the database (migration 0006),
on SQLite and PostgreSQL: it only moves forward, and the delivery claim stays separate."""

from __future__ import annotations


def test_delivered_parts_only_move_forward_and_survive_a_reopen(any_engine, settings, database_url):
    from dataclasses import replace

    from higgsctl.engine import Engine

    engine = any_engine
    engine.users.register(7)
    g = engine.generations.rows.hold(7, 50, model="nano-banana", prompt="p", aspect_ratio="1:1", references=[],
                            source="bot", chat_id=7, status_message_id=None, idempotency_key="parts")
    engine.generations.finish(g.id, "completed", None, ["users/7/results/1-0.png"])
    assert engine.generations.get(g.id).delivered_parts == 0  # new rows start at nothing sent
    engine.generations.mark_part_delivered(g.id, 0)
    engine.generations.mark_part_delivered(g.id, 1)
    engine.generations.mark_part_delivered(g.id, 0)  # a late or repeated record never goes back
    engine.close()
    again = Engine(replace(settings, database_url=database_url))  # as after a restart
    try:
        row = again.generations.get(g.id)
        assert (row.delivered_parts, row.delivered_at) == (2, None)
        assert [u.id for u in again.generations.undelivered("bot")] == [g.id]  # still to be claimed
        assert again.generations.mark_delivered(g.id) and again.generations.get(g.id).delivered_parts == 2
    finally:
        again.close()
