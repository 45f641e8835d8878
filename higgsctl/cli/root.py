"""The root Typer app: the --debug and --version options, and every command loaded lazily."""

from __future__ import annotations

from typing import Annotated

import typer

from .commands import COMMANDS, EPILOG, HELP
from .context import CONTEXT, STATE, HiggsctlGroup
from .lazy import LazyGroupMixin


class RootGroup(LazyGroupMixin, HiggsctlGroup):
    lazy_package = __package__  # higgsctl.cli
    lazy_commands = COMMANDS


app = typer.Typer(
    name="higgsctl",
    cls=RootGroup,
    help=HELP,
    epilog=EPILOG,
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
    as_admin: Annotated[str, typer.Option("--as-admin", metavar="NAME", show_default=False, help="Who you are, for the audit trail and the ledger (with your OS user).")] = "",
) -> None:
    STATE.debug, STATE.settings, STATE.as_admin = debug, None, as_admin

