"""How values look on screen: times, credits, rates and statuses. Pure functions, no I/O.

Outside text (names, usernames, prompts, notes, actors, engine and upstream error texts) is
data: it reaches the screen only through ``literal()`` (or ``plain()`` where Textual wants a
str that it never parses as markup). Textual reads a plain str as content markup, so ``[/]``
crashes a widget and ``[@click=app.quit]`` acts; rich and Textual also pass ESC and other
control characters straight to the terminal."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from rich.text import Text

from higgsctl.engine.errors import HiggsctlError

STATUS_STYLES = {
    "completed": "green",
    "failed": "red",
    "timed_out": "red",
    "nsfw": "magenta",
    "canceled": "dim",
    "pending": "yellow",
    "uploading": "yellow",
    "queued": "yellow",
    "in_progress": "bold yellow",
    "downloading": "yellow",
    "approved": "green",
    "rejected": "red",
}


# C0 controls (ESC starts terminal escape sequences), DEL, C1 controls (0x9b is CSI on
# 8-bit terminals), line/paragraph separators and bidi embeddings/overrides/isolates (which
# reorder the text around them): shown as visible stand-ins, never obeyed.
_C0 = {code: chr(0x2400 + code) for code in range(0x20)}  # ␀ … ␟ (control pictures)
_OTHER = {0x7F: "␡"} | {
    code: f"\\u{code:04x}" for code in (*range(0x80, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}
_VISIBLE = _C0 | _OTHER


@lru_cache(maxsize=8)
def _visible_except(keep: str) -> dict[int, str]:
    return str.maketrans({code: shown for code, shown in _VISIBLE.items() if chr(code) not in keep})


def plain(value: object, *, keep: str = "") -> str:
    """``value`` as a str safe to show literally: every control character (but those in
    ``keep``) replaced by a visible stand-in."""
    return str(value).translate(_visible_except(keep))


def literal(value: object, *, style: str = "", justify=None, multiline: bool = False) -> Text:
    """Outside text as a rich Text: never parsed as markup, control characters visible."""
    return Text(plain(value, keep="\n" if multiline else ""), style=style, justify=justify, end="")


def when(moment: datetime | None, *, seconds: bool = False) -> str:
    """Database times are naive UTC; shown as UTC."""
    if moment is None:
        return "—"
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def credits(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}"


def signed(amount: int) -> Text:
    return Text(f"{amount:+,}", style="green" if amount > 0 else "red")


def rate(value: float) -> str:
    return f"{value * 100:.1f} %"


def status(value: str) -> Text:
    return literal(value, style=STATUS_STYLES.get(value, ""))


def short(text: str | None, width: int = 48) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def error_message(exc: HiggsctlError) -> str:
    return f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
