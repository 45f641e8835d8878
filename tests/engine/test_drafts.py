"""Drafts in the database (engine/drafts.py): a change names the steps it expects, so two
taps or two processes move a draft on once; Generate claims its draft exactly once; a user
keeps their most recent drafts. On SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from higgsctl.engine.drafts import KEEP


def test_a_draft_keeps_what_it_was_given_and_only_moves_on_from_the_steps_named(any_engine):
    drafts = any_engine.drafts
    any_engine.users.register(1)
    upload = any_engine.store.save_upload(1, b"not checked here", "cat.png")
    draft = drafts.start(1, refs=[upload], step="prompt", model="nano-banana", aspect="1:1", options={"a": "b"})
    assert drafts.current(1).id == draft.id and drafts.paths(draft) == [upload]
    assert drafts.change(1, draft.id, ("refs",), prompt="too early") is None
    changed = drafts.change(1, draft.id, ("prompt",), prompt="a ‮ cat", step="confirm", card=77, count=3)
    assert (changed.prompt, changed.step, changed.card, changed.count, changed.options) == ("a ‮ cat", "confirm", 77, 3, {"a": "b"})
    assert drafts.change(2, draft.id, ("confirm",), prompt="not theirs") is None  # another user's id


def test_generate_claims_a_draft_once_even_from_many_threads(any_engine):
    drafts = any_engine.drafts
    any_engine.users.register(1)
    draft = drafts.start(1, step="confirm", model="nano-banana", aspect="1:1", prompt="p", card=5)
    assert drafts.take(1, draft.id, card=6) is None  # another message is not its card

    def claim(_):
        any_engine.db.connect(reuse_if_open=True)
        try:
            return drafts.take(1, draft.id, card=5)
        finally:
            any_engine.db.close()

    with ThreadPoolExecutor(8) as pool:
        claimed = [d for d in pool.map(claim, range(16)) if d is not None]
    assert len(claimed) == 1 and claimed[0].step == "confirmed"
    assert drafts.current(1) is None


def test_only_the_most_recent_drafts_are_kept_and_leave_keeps_cards(any_engine):
    drafts = any_engine.drafts
    any_engine.users.register(1)
    made = [drafts.start(1, step="confirm", prompt=str(i)) for i in range(KEEP + 2)]
    assert drafts.get(1, made[0].id) is None and drafts.get(1, made[1].id) is None
    assert all(drafts.get(1, d.id) is not None for d in made[2:])
    drafts.leave(1)
    assert drafts.current(1) is None and drafts.get(1, made[-1].id) is not None
    assert drafts.drop_open(1) == KEEP and drafts.get(1, made[-1].id) is None
