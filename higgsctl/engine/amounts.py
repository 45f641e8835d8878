"""Reading a credit amount that a person typed: the one rule for the CLI, the bot's admin
commands and the TUI. It never reinterprets: ``5.5`` is not 55, ``1_000`` is not 1000 and
``٥٠٠`` (Arabic-Indic digits, which ``int()`` reads) is not 500; it says why instead."""

from __future__ import annotations

from .credits import MAX_GRANT
from .errors import InvalidInput


class AmountError(InvalidInput):
    """Why a text is not an amount of credits; ``message`` is the reason, for operators."""

    default_code = "invalid_amount"


def parse_amount(text: str, limit: int = MAX_GRANT) -> int:
    """A positive whole number of credits written with the digits 0-9, at most ``limit``.
    Spaces around it are ignored; anything else that is not a digit makes it invalid."""
    digits = text.strip(" ")
    if not digits:
        raise AmountError("Type a number of credits.")
    for char in digits:
        if char in "0123456789":
            continue
        if char in "-−":
            raise AmountError("The amount must be positive.")
        if char in ".,_":
            raise AmountError(f"Credits are whole numbers: {char!r} is not allowed (no decimals or separators).")
        if char.isspace():
            raise AmountError("No spaces or line breaks inside the number.")
        if char.isdigit():
            raise AmountError(f"Use the digits 0-9: {char!r} is not one.")
        raise AmountError(f"Only the digits 0-9, not {char!r}.")
    significant = digits.lstrip("0")
    if len(significant) > len(str(limit)) or (significant and int(significant) > limit):
        raise AmountError(f"At most {limit:,} credits at a time.")
    if not significant:
        raise AmountError("The amount must be at least 1.")
    return int(significant)
