"""What a button's callback data names: a database row id, and the caller's generation."""

from __future__ import annotations

from telegram import Update

from higgsctl.engine import NotFound

from ..services import db
from .replies import expired
from .who import Who

MAX_ROW_ID = 2**63 - 1  # the largest id SQLite's INTEGER and PostgreSQL's bigint hold


def row_id(raw: str) -> int | None:
    """The database id a button's callback data names, or None when it can't be one: a
    hostile client sends any string (``-1``, ``٣``, 30 digits), and a query with an id
    beyond the column's range raises instead of finding nothing."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ROW_ID else None


def callback_id(update: Update) -> int | None:
    """``row_id`` of the first part after the prefix of the pressed button's data (a job's
    and a result's buttons carry their generation id there, see callbacks.py)."""
    parts = (update.callback_query.data or "").split(":")
    return row_id(parts[1]) if len(parts) > 1 else None


async def owned_generation(update: Update, who: Who):
    """The caller's generation the pressed button names (the second part of its data), or
    None (after saying the menu expired)."""
    generation_id = callback_id(update)
    try:
        generation = await db(who.services.engine.generations.get, generation_id) if generation_id else None
    except NotFound:
        generation = None
    if generation is None or generation.user_id != who.id:
        await expired(update, who)
        return None
    return generation
