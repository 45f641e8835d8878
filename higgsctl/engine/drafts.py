"""Drafts: what a bot user is setting up (a wizard, a typed prompt's confirm card), one row
each, named by a random id that every button of it carries.

Synchronous statements: run them through the engine's database door. Every change is a
conditional UPDATE on the draft's step, so two taps, or two processes, can't both move a
draft on; ``take`` is how a Generate press claims its draft, exactly once.

Expiry: a user keeps their ``keep`` most recent drafts; starting one more deletes the oldest
(its buttons then say the menu expired).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from .db import write_transaction
from .models import Draft, database, utcnow
from .storage import FileStore

KEEP = 5
STEPS = ("model", "prompt", "refs", "aspect", "confirm", "confirmed")
OPEN = STEPS[:-1]


def new_id() -> str:
    """Random, so a button from before a restart can't name a draft made after it."""
    return secrets.token_urlsafe(6)  # 8 characters of [A-Za-z0-9_-]


class Drafts:
    def __init__(self, store: FileStore, keep: int = KEEP) -> None:
        self.store = store
        self.keep = keep

    def paths(self, draft: Draft) -> list[Path]:
        """The draft's reference files, where they are now."""
        return [self.store.locate(p) for p in draft.references]

    def start(self, user_id: int, *, refs: list[Path] = (), step: str = "model", **fields) -> Draft:
        """A new draft, now the user's current one; the oldest beyond ``keep`` are deleted."""
        with write_transaction(database.obj):
            Draft.update(current=False).where(Draft.user == user_id, Draft.current == True).execute()  # noqa: E712
            draft = Draft.create(id=new_id(), user=user_id, step=step, current=True,
                                 references=[self.store.relative(Path(p)) for p in refs], **fields)
            kept = Draft.select(Draft.id).where(Draft.user == user_id).order_by(Draft.created_at.desc(), Draft.id)
            Draft.delete().where(Draft.user == user_id, Draft.id.not_in(kept.limit(self.keep))).execute()
        return draft

    def get(self, user_id: int, draft_id: str) -> Draft | None:
        return Draft.get_or_none(Draft.id == draft_id, Draft.user == user_id)

    def current(self, user_id: int) -> Draft | None:
        """The open draft the user's text and photos go to, if any."""
        return (Draft.select().where(Draft.user == user_id, Draft.current == True, Draft.step.in_(OPEN))  # noqa: E712
                .order_by(Draft.updated_at.desc()).first())

    def change(self, user_id: int, draft_id: str, steps: tuple[str, ...], *, touch: bool = True,
               **fields) -> Draft | None:
        """Set ``fields`` on the draft if it is still at one of ``steps``; the changed draft,
        or None (gone, or moved on meanwhile). ``touch``: it becomes the current draft."""
        if "refs" in fields:
            fields["references"] = [self.store.relative(Path(p)) for p in fields.pop("refs")]
        with write_transaction(database.obj):
            changed = (Draft.update(updated_at=utcnow(), **({"current": True} if touch else {}), **fields)
                       .where(Draft.id == draft_id, Draft.user == user_id, Draft.step.in_(steps)).execute())
            if not changed:
                return None
            if touch:
                Draft.update(current=False).where(Draft.user == user_id, Draft.id != draft_id,
                                                  Draft.current == True).execute()  # noqa: E712
        return self.get(user_id, draft_id)

    def add_refs(self, user_id: int, draft_id: str, paths: list[Path], limit: int) -> tuple[Draft | None, int]:
        """Append reference files to a draft at its refs step, unless that makes more than
        ``limit``: (the draft if they were added, how many it would have had)."""
        with write_transaction(database.obj):
            draft = self.get(user_id, draft_id)
            if draft is None or draft.step != "refs":
                return None, 0
            total = len(draft.references) + len(paths)
            if total > limit:
                return None, total
            draft.references = [*draft.references, *(self.store.relative(p) for p in paths)]
            draft.updated_at = utcnow()
            draft.save()
        return draft, total

    def take(self, user_id: int, draft_id: str, card: int) -> Draft | None:
        """The draft a Generate press on message ``card`` confirms, exactly once (across
        processes too): None when it is gone, not at its confirm step, or that message is
        not its card."""
        claimed = (Draft.update(step="confirmed", current=False, updated_at=utcnow())
                   .where(Draft.id == draft_id, Draft.user == user_id, Draft.step == "confirm", Draft.card == card)
                   .execute())
        return self.get(user_id, draft_id) if claimed else None

    def drop(self, user_id: int, draft_id: str) -> None:
        Draft.delete().where(Draft.id == draft_id, Draft.user == user_id).execute()

    def leave(self, user_id: int) -> None:
        """No current draft (the drafts stay: their cards can still be confirmed)."""
        Draft.update(current=False).where(Draft.user == user_id, Draft.current == True).execute()  # noqa: E712

    def drop_open(self, user_id: int) -> int:
        """Delete every draft not yet confirmed; returns how many."""
        return Draft.delete().where(Draft.user == user_id, Draft.step.in_(OPEN)).execute()
