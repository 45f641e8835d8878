"""Case-insensitive text search that works in every script, on SQLite and PostgreSQL.

SQLite's lower()/LIKE fold ASCII only, and PostgreSQL's lower() depends on the database's
collation (and never turns ß into ss). So the engine stores a folded copy of the searched
text (``User.name_folded``, ``Generation.prompt_folded``), folds the search term the same
way in Python, and looks for it as a plain substring: no LIKE, so ``%``, ``_`` and ``\\``
in a search are literal. If ``fold`` ever changes, a migration must recompute the copies.
"""

from __future__ import annotations

import unicodedata

# Turkish: İ casefolds to "i" + combining dot, and dotless ı has no case partner in
# casefold; fold both to a plain "i" so ISTANBUL, İstanbul and ıstanbul find each other.
_TURKISH_I = str.maketrans({"ı": "i"})


def fold(text: str | None) -> str:
    """NFKC + full Unicode case folding (ß/ẞ → ss, final ς → σ), plus the Turkish i's."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded.replace("i\u0307", "i").translate(_TURKISH_I)


def user_names(username: str | None, first_name: str | None, last_name: str | None) -> str:
    """What a users search looks in: the username, and the full name as people type it."""
    full_name = " ".join(part for part in (first_name, last_name) if part)
    return fold(f"{username or ''}\n{full_name}")
