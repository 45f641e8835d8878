"""How values look on screen: times, credits, rates and statuses. Pure functions, no I/O."""

from __future__ import annotations

from datetime import datetime

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
    return Text(value, style=STATUS_STYLES.get(value, ""))


def short(text: str | None, width: int = 48) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def error_message(exc: HiggsctlError) -> str:
    return f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
