"""The `higgsctl` command line. One module per command group; each command parses its
arguments, calls the engine and renders the result. Heavy imports (the engine, rich,
asyncio machinery) happen inside the commands, and a command's module is imported only
when that command runs (see lazy.py), so `higgsctl --help` starts fast."""

from __future__ import annotations

from typing import Annotated

import typer

from .context import CONTEXT, STATE, HiggsctlGroup
from .lazy import Lazy, LazyGroupMixin

# Every command, in the order `higgsctl --help` lists them, with the first sentence of its
# own help (its docstring or its group's help), which is all the list shows; a test keeps them equal.
COMMANDS = {
    "generate": Lazy("generate", "generate", "Generate images from a prompt and print the saved file paths.",
                     {"no_args_is_help": True}),
    "resume": Lazy("generate", "resume", "Finish CLI generations that an earlier run left open (killed, or "
                   "interrupted while generating): each is followed to its result and charged, or released on failure."),
    "models": Lazy("models", "models", "List the models you can generate with: price, reference limit, aspect "
                   "ratios and the Higgsfield application path each is sent to."),
    "admin": Lazy("faces", "admin", "Open the admin TUI: dashboard, users, generations, top-ups."),
    "credits": Lazy("credits", "app", "Balances, grants, the ledger and top-up requests."),
    "users": Lazy("users", "app", "List, inspect, block and unblock users."),
    "history": Lazy("history", "app", "Past generations, newest first (or `history show ID` for one in full)."),
    "config": Lazy("config_cmd", "app", "Write, locate, show and check the configuration."),
    "db": Lazy("db", "app", "Database migrations and health."),
    "sandbox": Lazy("sandbox", "app", "The built-in offline Higgsfield sandbox."),
    "bot": Lazy("faces", "bot_app", "The Telegram bot."),
}


class RootGroup(LazyGroupMixin, HiggsctlGroup):
    lazy_package = __name__
    lazy_commands = COMMANDS


app = typer.Typer(
    name="higgsctl",
    cls=RootGroup,
    help="Run an AI image-generation business on Higgsfield: generate images, manage users, "
    "credits and top-ups, and start the Telegram bot or the admin TUI.",
    epilog="Docs: `higgsctl COMMAND --help`. Exit codes: 0 ok, 1 error, 2 usage, 3 config, 4 API, "
    "5 credits/blocked/failed, 130 interrupted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"higgsctl {version('higgsctl')}")
        except PackageNotFoundError:  # running from a source tree that isn't installed
            typer.echo("higgsctl (unknown version)")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and log to stderr.")] = False,
    # A plain bool (not Optional): Typer then skips its pydantic coercion, keeping startup fast.
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    STATE.debug, STATE.settings = debug, None


def main() -> None:
    app(prog_name="higgsctl")
