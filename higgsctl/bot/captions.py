"""A result's caption: the prompt (cut to fit), model, aspect, the generation ids (each a
``code`` entity: one tap copies it), cost and balance.

Telegram counts a caption's 1024 characters, and entity offsets, in UTF-16 code units (an
emoji or a CJK extension character is two). The text is sent plain: the entities are built
around the ids, never by escaping the user's prompt into markup."""

from __future__ import annotations

from telegram import MessageEntity

from .texts import t

CAPTION_LIMIT = 1024  # UTF-16 code units
ELLIPSIS = "…"
_MARK = "\x00"  # where the ids go in the formatted template


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` UTF-16 code units, with an ellipsis when cut; never splits
    a surrogate pair (a character outside the BMP is kept whole or dropped whole)."""
    if utf16_len(text) <= limit:
        return text
    budget, kept = limit - utf16_len(ELLIPSIS), []
    for char in text:
        budget -= utf16_len(char)
        if budget < 0:
            break
        kept.append(char)
    return "".join(kept).rstrip() + ELLIPSIS


def result_caption(lang: str, prompt: str, label: str, aspect: str, ids: list[int], cost: int,
                   balance: int) -> tuple[str, list[MessageEntity]]:
    """(caption, entities): ``prompt`` on top, cut so the whole caption fits 1024 units."""
    tail = t(lang, "result_caption", label=label, aspect=aspect, id=_MARK, cost=cost, balance=balance)
    before, _, after = tail.partition(_MARK)
    room = CAPTION_LIMIT - utf16_len(before) - utf16_len(after) - utf16_len(", #".join(map(str, ids)))
    shown = cut(" ".join(prompt.split()), max(0, room - 2))  # "\n\n" between prompt and tail
    text = f"{shown}\n\n{before}" if shown else before
    entities = []
    for index, gid in enumerate(ids):
        if index:
            text += ", #"
        entities.append(MessageEntity(MessageEntity.CODE, utf16_len(text), utf16_len(str(gid))))
        text += str(gid)
    return text + after, entities
