"""The `higgsctl` command line. One module per command group; each command parses its
arguments, calls the engine and renders the result. Heavy imports (the engine, rich,
asyncio machinery) happen inside the commands so `higgsctl --help` starts fast."""

from __future__ import annotations

from typing import Annotated

import typer

from . import config_cmd, credits, db, faces, generate, history, models, sandbox, users
from .context import CONTEXT, STATE, HiggsctlGroup

app = typer.Typer(
    name="higgsctl",
    cls=HiggsctlGroup,
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


app.command("generate", no_args_is_help=True)(generate.generate)
app.command("resume")(generate.resume)
app.command("models")(models.models)
app.add_typer(credits.app, name="credits")
app.add_typer(users.app, name="users")
app.add_typer(history.app, name="history")
app.add_typer(config_cmd.app, name="config")
app.add_typer(db.app, name="db")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(faces.bot_app, name="bot")
app.command("admin")(faces.admin)


def main() -> None:
    app(prog_name="higgsctl")
