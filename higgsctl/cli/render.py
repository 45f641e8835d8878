"""Output helpers. Data goes to stdout (plain lines, JSON, tables); diagnostics, progress
and errors go to stderr through one rich console. rich is imported on first use so that
`higgsctl --help` stays fast."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Iterable


@lru_cache(maxsize=1)
def err():
    """The stderr console (rich reads sys.stderr at write time, so test runners work)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


@lru_cache(maxsize=1)
def out():
    """Tables on stdout; piped output gets a wide fixed width rather than 80 columns."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def escape(text: object) -> str:
    from rich.markup import escape as _escape

    return _escape(str(text))


# --- diagnostics (stderr) ----------------------------------------------------------------

def error(message: str, hint: str | None = None) -> None:
    err().print(f"[bold red]Error:[/] {escape(message)}")
    if hint:
        err().print(f"[dim]{escape(hint)}[/]")


def warn(message: str) -> None:
    err().print(f"[yellow]Warning:[/] {escape(message)}")


def note(message: str) -> None:
    """A diagnostic line; `message` may hold rich markup (escape user text first)."""
    err().print(message)


# --- data (stdout) -----------------------------------------------------------------------

def line(text: str = "") -> None:
    sys.stdout.write(f"{text}\n")


def print_json(data: Any) -> None:
    import json  # here, not at the top: `higgsctl --help` never needs it

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def table(columns: Iterable[str], rows: Iterable[Iterable[Any]], *, title: str | None = None) -> None:
    """A table on stdout. Cells are plain text (escaped); None shows as an empty cell."""
    from rich import box
    from rich.table import Table

    grid = Table(*columns, title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for row in rows:
        grid.add_row(*("" if cell is None else escape(cell) for cell in row))
    out().print(grid)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """`key: value` lines on stdout, keys aligned."""
    pairs = [(k, v) for k, v in pairs]
    width = max((len(k) for k, _ in pairs), default=0)
    for key, value in pairs:
        line(f"{key + ':':<{width + 1}} {'' if value is None else value}")


# --- formatting --------------------------------------------------------------------------

def iso(value: datetime | None) -> str | None:
    """Engine timestamps are naive UTC; JSON gets them with an explicit offset."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).isoformat(timespec="seconds")


def when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M") + " UTC"


def shorten(text: str, width: int = 48) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def mask_secret(value: str) -> str:
    """`sk-…abcd` for long secrets, `****` for short ones, empty when unset. The full value
    is never shown."""
    if not value:
        return ""
    if len(value) < 16:
        return "****"
    return f"{value[:3]}…{value[-4:]}"


# --- generation progress (stderr) --------------------------------------------------------

STATUS_STYLE = {"completed": "green", "failed": "red", "nsfw": "red", "timed_out": "red", "canceled": "yellow"}
STEPS = {"pending": 0, "uploading": 1, "queued": 2, "in_progress": 3, "downloading": 4}


class JobProgress:
    """Per-image progress from the engine's JobEvents (usable as ``on_event``): a live rich
    display on a terminal, one plain line per status change otherwise (logs, CI, tests)."""

    def __init__(self, console) -> None:
        self.console = console
        self._progress = None
        self._tasks: dict[int, Any] = {}
        self._last: dict[int, tuple[str, str | None]] = {}

    def __enter__(self) -> "JobProgress":
        if self.console.is_terminal:
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=24),
                TextColumn("{task.fields[status]}"), TimeElapsedColumn(), console=self.console,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def __call__(self, event) -> None:
        key = (event.status, event.detail)
        if self._last.get(event.generation_id) == key:
            return
        self._last[event.generation_id] = key
        text = status_line(event)
        style = STATUS_STYLE.get(event.status, "cyan" if event.position is None else "yellow")
        if self._progress is None:
            self.console.print(f"generation #{event.generation_id}: [{style}]{escape(text)}[/]")
            return
        task = self._tasks.get(event.generation_id)
        if task is None:
            task = self._tasks[event.generation_id] = self._progress.add_task(
                f"#{event.generation_id}", total=len(STEPS), status="")
        done = len(STEPS) if event.status not in STEPS else STEPS[event.status]
        self._progress.update(task, completed=done, status=f"[{style}]{escape(text)}[/]")


def status_line(event) -> str:
    """One job's state in words: "queued", "pending (retrying ...)", or, waiting in the fair
    queue, its place and estimate as the engine words it ("3rd in line, about 40 s")."""
    if event.position is not None and event.detail:
        return event.detail
    return event.status.replace("_", " ") + (f" ({event.detail})" if event.detail else "")
