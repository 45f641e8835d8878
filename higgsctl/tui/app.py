"""The admin TUI (`higgsctl admin`): this module maps modes, screens and bindings; the
screens hold the rest. All data comes from the engine the app is given."""

from __future__ import annotations

import logging
from pathlib import Path

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.worker import WorkerFailed

from higgsctl.engine import Engine, HiggsctlError, Settings

from .commands import AdminCommands
from .format import plain
from .messages import OpenGeneration, OpenUser
from .screens.generation_detail import GenerationDetailScreen
from .screens.generations import GenerationsScreen
from .screens.overview import OverviewScreen
from .screens.topups import TopUpsScreen
from .screens.user_detail import UserDetailScreen
from .screens.users import UsersScreen

SCREENS = {
    "overview": OverviewScreen,
    "users": UsersScreen,
    "topups": TopUpsScreen,
    "generations": GenerationsScreen,
}

log = logging.getLogger(__name__)


class AdminApp(App[None]):
    TITLE = "higgsctl admin"
    SUB_TITLE = "higgsctl admin"  # screens set their own title; this follows it in the header
    CSS_PATH = Path(__file__).with_name("admin.tcss")
    COMMANDS = App.COMMANDS | {AdminCommands}
    DEFAULT_MODE = "overview"
    BINDINGS = [
        Binding("1", "switch_mode('overview')", "Overview"),
        Binding("2", "switch_mode('users')", "Users"),
        Binding("3", "switch_mode('topups')", "Top-ups"),
        Binding("4", "switch_mode('generations')", "Generations"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, engine: Engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.engine = engine
        self.refresh_interval = refresh_interval
        self.crash: BaseException | None = None  # what stopped the app, if anything did
        for mode, screen in SCREENS.items():
            self.add_mode(mode, lambda screen=screen: screen(engine, refresh_interval=refresh_interval))

    def notify(self, message: str, *, title: str = "", severity="information", timeout: float | None = None,
               markup: bool = False) -> None:
        """Every notification is literal: they quote names, notes and engine errors."""
        super().notify(plain(message, keep="\n"), title=plain(title), severity=severity, timeout=timeout,
                       markup=False)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Paste) and not event.is_forwarded:
            # A paste keeps Tab and line breaks (the amount field refuses or splits them);
            # other control characters become visible stand-ins before any field shows them.
            event = events.Paste(plain(event.text, keep="\t\r\n"))
        await super().on_event(event)

    # Textual (pinned in pyproject.toml) calls this for any exception nothing caught and stops
    # the app. Log it (the log handlers redact secrets) and keep it for run_admin.
    def _handle_exception(self, error: Exception) -> None:
        if self.crash is None:
            self.crash = error.error if isinstance(error, WorkerFailed) else error
            log.error("The admin TUI stopped on an unexpected error", exc_info=self.crash)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        # Textual would print a traceback with local variables to stderr after the app stops;
        # run_admin reports one line instead, and the log holds the traceback.
        self.bell()
        self._close_messages_no_wait()

    def on_open_user(self, message: OpenUser) -> None:
        self.push_screen(UserDetailScreen(self.engine, message.user_id, refresh_interval=self.refresh_interval))

    def on_open_generation(self, message: OpenGeneration) -> None:
        self.push_screen(
            GenerationDetailScreen(self.engine, message.generation_id, refresh_interval=self.refresh_interval)
        )

    async def action_approve_next_topup(self) -> None:
        await self.switch_mode("topups")
        screen = self.screen
        if isinstance(screen, TopUpsScreen):
            screen.approve_next()

    async def action_search_users(self) -> None:
        await self.switch_mode("users")
        screen = self.screen
        if isinstance(screen, UsersScreen):
            screen.action_search()


def run_admin(settings: Settings) -> None:
    """Open the engine, run the admin TUI until the admin quits, close the engine. An
    unexpected error that stopped the app is raised (the CLI exits non-zero)."""
    engine = Engine(settings)
    try:
        app = AdminApp(engine)
        app.run()
    finally:
        engine.close()
    if app.crash is not None:
        crash = app.crash
        raise HiggsctlError(
            engine.redactor(f"The admin TUI stopped on an unexpected error: {type(crash).__name__}: {crash}"),
            f"The traceback is in {settings.log_dir / 'higgsctl.log'}.",
        ) from crash
