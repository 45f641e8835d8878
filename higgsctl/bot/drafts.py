"""Wizard drafts: what a user is setting up, one draft per wizard, each with an id that every
button of that wizard carries in its callback data.

A button acts on the draft it names and on no other: Confirm on an older card runs what that
card shows, however many wizards were started since. A draft that is gone (a restart, or
older than the ``keep`` most recent of its user) makes its buttons say the menu expired.
Text and photos carry no id: they go to the user's *current* draft, the one touched last.

Kept in memory for now; every read and write goes through ``Drafts``, so moving drafts into
a database table changes this module only.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

KEEP = 5  # drafts kept per user; older ones expire
STEPS = ("model", "prompt", "refs", "aspect", "confirm", "confirmed")


@dataclass
class Draft:
    id: str
    step: str = "model"  # one of STEPS; "confirmed": its generation was started (or refused)
    model: str | None = None
    prompt: str | None = None
    refs: list[Path] = field(default_factory=list)
    aspect: str | None = None
    card: int | None = None  # the message showing this draft's price and its Confirm button

    @property
    def open(self) -> bool:
        return self.step != "confirmed"


def new_id() -> str:
    """Random, so a button from before a restart can't name a draft made after it."""
    return secrets.token_urlsafe(6)  # 8 characters of [A-Za-z0-9_-]


class Drafts:
    """Each user's recent drafts, newest last. Methods are synchronous and run on the event
    loop: a check-and-change (``take``) can't interleave with another press."""

    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._drafts: dict[int, OrderedDict[str, Draft]] = {}
        self._current: dict[int, str] = {}

    def start(self, user_id: int, refs: list[Path] | None = None) -> Draft:
        """A new draft, now the user's current one; the oldest beyond ``keep`` expire."""
        drafts = self._drafts.setdefault(user_id, OrderedDict())
        draft = Draft(id=new_id(), refs=list(refs or []))
        drafts[draft.id] = draft
        while len(drafts) > self.keep:
            drafts.popitem(last=False)
        self._current[user_id] = draft.id
        return draft

    def get(self, user_id: int, draft_id: str) -> Draft | None:
        return self._drafts.get(user_id, {}).get(draft_id)

    def current(self, user_id: int) -> Draft | None:
        """The open draft text and photos go to, if any."""
        draft = self.get(user_id, self._current.get(user_id, ""))
        return draft if draft is not None and draft.open else None

    def touch(self, user_id: int, draft: Draft) -> None:
        """A button of ``draft`` was used: it becomes the current draft."""
        if self.get(user_id, draft.id) is draft:
            self._current[user_id] = draft.id

    def take(self, user_id: int, draft_id: str, card: int) -> Draft | None:
        """The draft to run for a Confirm pressed on message ``card``, exactly once: None when
        the draft is gone, not at its confirm step, or that message is not its card."""
        draft = self.get(user_id, draft_id)
        if draft is None or draft.step != "confirm" or draft.card != card:
            return None
        draft.step = "confirmed"
        if self._current.get(user_id) == draft_id:
            del self._current[user_id]
        return draft

    def drop(self, user_id: int, draft_id: str) -> None:
        self._drafts.get(user_id, {}).pop(draft_id, None)
        if self._current.get(user_id) == draft_id:
            del self._current[user_id]

    def leave(self, user_id: int) -> None:
        """No current draft (the drafts stay: their cards can still be confirmed)."""
        self._current.pop(user_id, None)

    def drop_open(self, user_id: int) -> int:
        """Forget every draft not yet confirmed; returns how many."""
        drafts = self._drafts.get(user_id, {})
        open_ids = [d.id for d in drafts.values() if d.open]
        for draft_id in open_ids:
            self.drop(user_id, draft_id)
        return len(open_ids)
