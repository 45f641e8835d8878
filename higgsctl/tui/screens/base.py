"""What every admin screen shares: the engine, live reloading in a thread worker, and engine
errors shown as notifications instead of crashes."""

from __future__ import annotations

from dataclasses import replace

from typing import Any, Callable, TypeVar

from peewee import PeeweeException
from textual import work
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import get_current_worker

from higgsctl.engine import Engine, HiggsctlError

from ..format import error_message

T = TypeVar("T")


def describe(exc: Exception) -> str:
    if isinstance(exc, HiggsctlError):
        return error_message(exc)
    return f"Database error: {exc}"


class Failed(Exception):
    """Raised inside a worker after an error has already been reported."""


class EngineScreen(Screen):
    """A screen fed by the engine.

    Subclasses implement ``fetch()`` (runs in a worker thread, may call the engine, returns
    what to show) and ``show(data)`` (runs on the UI thread, touches no database). While
    the screen is the current one it reloads every ``refresh_interval`` seconds, so changes
    made by the bot in another process appear without a restart.
    """

    def __init__(self, engine: Engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.engine = engine
        self.refresh_interval = refresh_interval
        self.loads = 0  # how many times show() ran; tests and the bench wait on it
        self._timer: Timer | None = None
        self._load_error: str | None = None
        self._loading = False

    # --- lifecycle -------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.refresh_interval > 0:
            self._timer = self.set_interval(self.refresh_interval, self._tick, pause=not self.is_current)

    def _tick(self) -> None:
        if not self._loading:  # a slow database never piles up queries
            self.reload()

    def on_screen_resume(self) -> None:
        self.reload()
        if self._timer is not None:
            self._timer.resume()

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def action_reload(self) -> None:
        self.reload()

    # --- loading ---------------------------------------------------------------------

    def fetch(self) -> Any:  # pragma: no cover - every screen overrides it
        raise NotImplementedError

    def show(self, data: Any) -> None:  # pragma: no cover
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="load")
    def reload(self) -> None:
        self._loading = True
        try:
            with self.engine.db.connection_context():
                data = self.fetch()
        except (HiggsctlError, PeeweeException) as exc:
            message = self.engine.redactor(describe(exc))
            if message != self._load_error:  # a live refresh repeats; say it once
                self.app.notify(message, severity="error", markup=False)
            self._load_error = message
            return
        finally:
            self._loading = False
        self._load_error = None
        self.deliver(self._show, data)

    def _show(self, data: Any) -> None:
        if self.is_attached:
            self.show(data)
            self.loads += 1

    # --- helpers for worker threads --------------------------------------------------

    def call_engine(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run engine work on this (worker) thread with its own connection. Engine and
        database errors become error notifications and raise ``Failed``."""
        try:
            with self.engine.db.connection_context():
                return call(*args, **kwargs)
        except (HiggsctlError, PeeweeException) as exc:
            self.app.notify(self.engine.redactor(describe(exc)), severity="error", markup=False)
        raise Failed

    def deliver(self, callback: Callable[..., Any], *args: Any) -> None:
        """Hand results to the UI thread unless this worker was superseded."""
        if get_current_worker().is_cancelled:
            return
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is shutting down
            pass


PAGE_BINDINGS = [
    Binding("n", "page(1)", "Next page"),
    Binding("p", "page(-1)", "Prev page"),
    Binding("P", "first_page", "First page", show=False),
    Binding("N", "last_page", "Last page", show=False),
]


class PagedScreen(EngineScreen):
    """A list loaded one page at a time: ``query_state`` is a frozen dataclass with an
    ``offset``, ``total`` the row count of the last load. PAGE_BINDINGS turn pages."""

    query_state: Any
    total: int = 0
    page_size: int = 100

    def action_page(self, step: int) -> None:
        self.turn_page(step, self.page_size)

    def action_first_page(self) -> None:
        self.jump_to_page(first=True, page_size=self.page_size)

    def action_last_page(self) -> None:
        self.jump_to_page(first=False, page_size=self.page_size)

    def change(self, **changes: Any) -> None:
        self.query_state = replace(self.query_state, **changes)
        self.reload()

    def turn_page(self, step: int, page_size: int) -> None:
        offset = self.query_state.offset + step * page_size
        if offset < 0 or (step > 0 and offset >= self.total):
            self.app.bell()
            return
        self.change(offset=offset)

    def jump_to_page(self, *, first: bool, page_size: int) -> None:
        """The first page, or the last one of the latest count."""
        offset = 0 if first else max(0, (self.total - 1) // page_size * page_size)
        if offset == self.query_state.offset:
            self.app.bell()
            return
        self.change(offset=offset)
