"""The admin TUI (`higgsctl admin`): this module maps modes, screens and bindings; the
screens hold the rest. All data comes from the engine the app is given."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from higgsctl.engine import Engine, Settings

from .commands import AdminCommands
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
        for mode, screen in SCREENS.items():
            self.add_mode(mode, lambda screen=screen: screen(engine, refresh_interval=refresh_interval))

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
    """Open the engine, run the admin TUI until the admin quits, close the engine."""
    engine = Engine(settings)
    try:
        AdminApp(engine).run()
    finally:
        engine.close()
