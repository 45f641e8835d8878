"""The admin TUI (`higgsctl admin`): this module maps modes, screens and bindings; the
screens hold the rest. All data comes from the engine the app is given."""

from __future__ import annotations

import logging
from pathlib import Path

from peewee import PeeweeException
from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.worker import WorkerFailed

from higgsctl.engine import Engine, HiggsctlError, Settings
from higgsctl.engine.audit import operator_actor

from .commands import AdminCommands
from .format import plain
from .messages import OpenGeneration, OpenUser
from .screens.audit import AuditScreen
from .screens.broadcasts import BroadcastsScreen
from .screens.base import describe
from .screens.export_dialog import ExportChoice, ExportDialog
from .screens.generation_detail import GenerationDetailScreen
from .screens.generations import GenerationsScreen
from .screens.overview import OverviewScreen
from .screens.payments import PaymentsScreen
from .screens.promos import PromosScreen
from .screens.topups import TopUpsScreen
from .screens.user_detail import UserDetailScreen
from .screens.users import UsersScreen

SCREENS = {
    "overview": OverviewScreen,
    "users": UsersScreen,
    "topups": TopUpsScreen,
    "generations": GenerationsScreen,
    "audit": AuditScreen,
    "payments": PaymentsScreen,
    "promos": PromosScreen,
    "broadcasts": BroadcastsScreen,
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
        Binding("5", "switch_mode('audit')", "Audit", show=False),
        Binding("x", "export", "Export", show=False),
        Binding("6", "switch_mode('payments')", "Payments", show=False),  # also in the command palette
        Binding("7", "switch_mode('promos')", "Promo codes", show=False),
        Binding("8", "switch_mode('broadcasts')", "Broadcasts", show=False),
        Binding("q", "quit", "Quit"),
        Binding("f1,question_mark", "toggle_help", "Help", show=False),  # every key of the screen, in a panel
    ]

    def __init__(self, engine: Engine, *, refresh_interval: float = 2.0, actor: str | None = None) -> None:
        super().__init__()
        self.engine = engine
        self.refresh_interval = refresh_interval
        self.actor = actor or operator_actor("tui")  # who the ledger and the audit trail name
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

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

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

    def action_export(self) -> None:
        self.push_screen(ExportDialog(self.export_folder), lambda choice: self.export(choice) if choice else None)

    @property
    def export_folder(self) -> Path:
        return self.engine.settings.data_dir / "exports"

    @work(thread=True, group="export")
    def export(self, choice: ExportChoice) -> None:
        """Stream the export to its file on a worker thread (100,000 rows take seconds)."""
        try:
            if choice.path.parent == self.export_folder:
                choice.path.parent.mkdir(parents=True, exist_ok=True)
            with self.engine.db.connection_context():
                count = self.engine.exports.write_file(choice.options, choice.path, actor=self.actor)
        except (HiggsctlError, PeeweeException) as exc:
            self.notify(self.engine.redactor(describe(exc)), severity="error")
            return
        self.notify(f"Exported {count:,} {choice.options.kind} rows to {choice.path}.", timeout=10)

    async def action_search_users(self) -> None:
        await self.switch_mode("users")
        screen = self.screen
        if isinstance(screen, UsersScreen):
            screen.action_search()


def run_admin(settings: Settings, actor: str | None = None) -> None:
    """Open the engine, run the admin TUI until the admin quits, close the engine. An
    unexpected error that stopped the app is raised (the CLI exits non-zero)."""
    engine = Engine(settings)
    try:
        app = AdminApp(engine, actor=actor)
        app.run()
    finally:
        engine.close()
    if app.crash is not None:
        crash = app.crash
        raise HiggsctlError(
            engine.redactor(f"The admin TUI stopped on an unexpected error: {type(crash).__name__}: {crash}"),
            f"The traceback is in {settings.log_dir / 'higgsctl.log'}.",
        ) from crash
