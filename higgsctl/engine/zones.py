"""Time zones: what a user types or taps ("Europe/Moscow", "new york", "+3", "UTC-5") read as
an IANA name, and database times (naive UTC) shown in a zone.

A zone is stored as its IANA name; None means UTC. A whole-hour UTC offset is stored as the
matching ``Etc/GMT`` zone, whose sign POSIX inverts ("+3" is ``Etc/GMT-3``)."""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from .errors import InvalidInput

MAX_INPUT = 64  # longer than any IANA name; a longer text is not a zone
# "+3", "-05", "UTC+3", "gmt -5", "UTC+03:00", "+0530", "UTC−3" (a typographic minus)
_OFFSET = re.compile(r"(?:utc|gmt)?\s*([+\-\u2212])\s*([0-9]{1,2})(?::?([0-9]{2}))?", re.ASCII | re.IGNORECASE)
# Names of UTC itself (stored as None), and names that are no place's zone: the server's own
# zone ("localtime" on Debian) and tzdata's "Factory".
_UTC_NAMES = {"z", "utc0", *(f"{prefix}{name}" for prefix in ("", "etc/") for name in (
    "utc", "uct", "gmt", "gmt0", "gmt+0", "gmt-0", "universal", "zulu", "greenwich"))}
_NOT_ZONES = {"localtime", "factory", "posixrules"}


@functools.cache
def _names() -> dict[str, str]:
    """casefolded name → canonical name, for every zone this machine knows."""
    return {name.casefold(): name for name in available_timezones() if name.casefold() not in _NOT_ZONES}


@functools.cache
def _places() -> dict[str, str]:
    """A zone's last part ("moscow", "new york") → its name, where that part names one zone."""
    seen: dict[str, set[str]] = {}
    for name in _names().values():
        if "/" in name and not name.startswith(("Etc/", "SystemV/")):
            place = name.rsplit("/", 1)[1].replace("_", " ").casefold()
            seen.setdefault(place, set()).add(name)
    return {place: names.pop() for place, names in seen.items() if len(names) == 1}


def parse_zone(text: str) -> str | None:
    """The zone ``text`` names: an IANA name in any case, a place ("Tashkent", "new york") or
    a whole-hour UTC offset. None for UTC. Anything else is InvalidInput (timezone_unknown)."""
    cleaned = " ".join(str(text).split())[: MAX_INPUT + 1]
    key = cleaned.casefold()
    if key in _UTC_NAMES:
        return None
    if (offset := _OFFSET.fullmatch(cleaned)) is not None:
        return _offset_zone(cleaned, *offset.groups())
    name = _names().get(key.replace(" ", "_")) or _places().get(key.replace("_", " "))
    if name is None or len(cleaned) > MAX_INPUT:
        raise _unknown(cleaned)
    return None if name.casefold() in _UTC_NAMES else name


def _offset_zone(text: str, sign: str, hours: str, minutes: str | None) -> str | None:
    east = sign == "+"
    if minutes not in (None, "00"):
        raise InvalidInput(f"{text!r}: only whole-hour offsets can be typed; name a place for others.",
                           hint="Like Asia/Kolkata or Asia/Kathmandu.", code="timezone_offset", zone=text)
    value = int(hours)
    if value == 0:
        return None
    if value > (14 if east else 12):
        raise _unknown(text)
    return f"Etc/GMT{'-' if east else '+'}{value}"  # POSIX signs: Etc/GMT-3 is three hours east


def _unknown(text: str) -> InvalidInput:
    shown = "".join(c if c.isprintable() else "\ufffd" for c in text)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return InvalidInput(f"Unknown time zone {shown!r}.", hint="An IANA name like Europe/Moscow, or an offset like +3.",
                        code="timezone_unknown", zone=shown)


def known_zone(name: str) -> bool:
    """Whether ``name`` is a zone this machine knows, spelt as stored."""
    return _names().get(name.casefold()) == name


def zone_info(name: str | None) -> tzinfo:
    """The tzinfo of a stored zone; UTC for None, or for a zone this machine no longer knows."""
    if not name:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local_time(moment: datetime, name: str | None) -> datetime:
    """A database time (naive UTC) in the zone ``name``, as an aware datetime."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone_info(name))


def offset_text(offset: timedelta | None) -> str:
    """UTC+3, UTC-5, UTC+5:30, UTC+0."""
    minutes = int((offset or timedelta()).total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def abbreviation(moment: datetime) -> str:
    """How an aware time's zone is written after it: the zone's letters where it has them
    (MSK, EST, CET), else its offset (UTC+5)."""
    name = moment.tzname() or ""
    return name if name.isalpha() and name.isascii() else offset_text(moment.utcoffset())


def zone_label(name: str | None, moment: datetime) -> str:
    """A stored zone as a person reads it at ``moment`` (naive UTC): "Europe/Moscow (UTC+3)";
    a fixed offset or UTC by its offset alone ("UTC+3", "UTC")."""
    if not name:
        return "UTC"
    offset = offset_text(local_time(moment, name).utcoffset())
    return offset if name.startswith("Etc/") else f"{name} ({offset})"


def format_local(moment: datetime, name: str | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A database time as a user in zone ``name`` reads it: "2026-12-06 04:30 UTC+5"."""
    local = local_time(moment, name)
    return f"{local.strftime(pattern)} {abbreviation(local)}"
