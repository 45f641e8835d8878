"""Every user-facing text of the bot, per language.

Texts are plain (no parse_mode): prompts and names come from users and need no escaping.
``t(lang, key, **values)`` falls back to English for an unknown language or a missing key.

The tables are assembled from one module per area (core, and one per feature), each holding
its ``EN`` and ``RU`` side by side; a key defined by two areas is an error at import.
"""

from __future__ import annotations

import re

from . import audit, conversation, core, outcomes, payments, promo, queue, settings
from .core import ADMIN, ADMIN_COMMANDS, COMMANDS

LANGUAGES = ("en", "ru")
# Telegram language codes we don't ship, read as the language their speakers most likely read
# among ours; any other code gets English.
FALLBACKS = {"uk": "ru", "be": "ru", "kk": "ru"}
AREAS = (core, promo, queue, settings, outcomes, conversation, audit, payments)


def _assemble(name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for area in AREAS:
        part = getattr(area, name)
        clash = table.keys() & part.keys()
        if clash:
            raise RuntimeError(f"bot texts: {sorted(clash)[0]!r} is defined twice ({area.__name__})")
        table.update(part)
    return table


EN = _assemble("EN")
RU = _assemble("RU")
_TABLES = {"en": EN, "ru": RU}


def language_for(code: str | None) -> str:
    """The bot language for a Telegram language_code (an IETF tag such as "ru", "uk-UA",
    "pt-br"): ours as is, uk / be / kk → ru, anything else (unknown, junk, none) → en."""
    base = re.split(r"[-_]", code.strip().casefold(), maxsplit=1)[0] if isinstance(code, str) else ""
    if base in LANGUAGES:
        return base
    return FALLBACKS.get(base, "en")


# Why a job is not moving (JobEvent.code) → its status line; other states show st_<status>.
PROGRESS_TEXTS = {"local_slot": "st_pending_wait", "account_busy": "st_pending_wait",
                  "service_unreachable": "st_service_unreachable", "download_retry": "st_download_retry",
                  "storage_retry": "st_download_retry"}


def progress_key(status: str, code: str | None) -> str:
    return PROGRESS_TEXTS.get(code or "", f"st_{status}")


def outcome_key(status: str, error_code: str | None) -> str:
    """A terminal status's text, made specific by its error_code where that helps the user."""
    specific = f"st_{status}_{error_code}"
    return specific if error_code and specific in EN else f"st_{status}"


def t(lang: str, key: str, **values) -> str:
    table = _TABLES.get(lang, EN)
    template = table.get(key) or EN[key]
    return template.format(**values) if values else template


def error_text(lang: str, code: str, params: dict) -> str:
    """An engine error (``HiggsctlError.code`` and ``.params``) in the user's language; never
    the engine's English message. An unknown code gets the generic text."""
    table = _TABLES.get(lang, EN)
    key = f"err_{code}"
    try:
        return (table.get(key) or EN[key]).format(**params)
    except (KeyError, IndexError, ValueError):  # unknown code, or params that don't fit the text
        return table.get("err_error") or EN["err_error"]


def admin(key: str, **values) -> str:
    return ADMIN[key].format(**values)
