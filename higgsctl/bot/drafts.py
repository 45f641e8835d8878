"""The bot's drafts: what each user is setting up (a wizard, a typed prompt's confirm card),
one draft each, with an id that every button of it carries in its callback data.

A button acts on the draft it names and on no other: Generate on an older card runs what that
card shows, however many drafts were started since. A draft that is gone (older than the
engine's ``KEEP`` most recent of its user) makes its buttons say the menu expired. Text and
photos carry no id: they go to the user's *current* draft, the one touched last.

The drafts live in the database (engine/drafts.py; statements run through the engine's door):
a restart loses none, and any process can continue one. A change names the steps it expects
the draft at, so two taps, or two processes, move it on once.
"""

from __future__ import annotations

from pathlib import Path

from higgsctl.engine import Draft, Engine
from higgsctl.engine.drafts import KEEP, STEPS, new_id

__all__ = ["Draft", "Drafts", "KEEP", "STEPS", "new_id"]


class Drafts:
    def __init__(self, engine: Engine) -> None:
        self._rows = engine.drafts
        self._db, self._read = engine.run_db, engine.read_db  # the engine's door: writes, and its read lane

    def paths(self, draft: Draft) -> list[Path]:
        return self._rows.paths(draft)

    async def start(self, user_id: int, *, refs: list[Path] = (), step: str = "model", **fields) -> Draft:
        return await self._db(self._rows.start, user_id, refs=list(refs), step=step, **fields)

    async def get(self, user_id: int, draft_id: str) -> Draft | None:
        return await self._read(self._rows.get, user_id, draft_id)

    async def current(self, user_id: int) -> Draft | None:
        return await self._read(self._rows.current, user_id)

    async def change(self, user_id: int, draft: Draft | str, steps: tuple[str, ...] | str, *, touch: bool = True,
                     **fields) -> Draft | None:
        """The draft with ``fields`` set, if it was still at one of ``steps``; else None."""
        draft_id = draft if isinstance(draft, str) else draft.id
        steps = (steps,) if isinstance(steps, str) else steps
        return await self._db(self._rows.change, user_id, draft_id, steps, touch=touch, **fields)

    async def add_refs(self, user_id: int, draft_id: str, paths: list[Path], limit: int) -> tuple[Draft | None, int]:
        return await self._db(self._rows.add_refs, user_id, draft_id, paths, limit)

    async def take(self, user_id: int, draft_id: str, card: int) -> Draft | None:
        return await self._db(self._rows.take, user_id, draft_id, card)

    async def drop(self, user_id: int, draft_id: str) -> None:
        await self._db(self._rows.drop, user_id, draft_id)

    async def leave(self, user_id: int) -> None:
        await self._db(self._rows.leave, user_id)

    async def drop_open(self, user_id: int) -> int:
        return await self._db(self._rows.drop_open, user_id)
