"""`higgsctl bot run` and `higgsctl admin`: the other two faces, imported only when asked
for (the CLI never imports the bot or the TUI at module level)."""

from __future__ import annotations

import typer

from .context import actor, group, load_settings

bot_app = group("The Telegram bot.")


@bot_app.command("run")
def run(
    sandbox: bool = typer.Option(False, "--sandbox", help="Generate through the built-in sandbox (no Higgsfield key)."),
) -> None:
    """Run the Telegram bot until Ctrl-C (polling or webhook, per [telegram] mode).

    \b
    Examples:
      HIGGSCTL_TELEGRAM_TOKEN=123:ABC higgsctl bot run
      higgsctl bot run --sandbox     # a real bot, fake images: try the flow without Higgsfield credits
    """
    settings = load_settings(log_to_file=True)
    from higgsctl.bot.runner import run_bot

    run_bot(settings, sandbox=sandbox)


@bot_app.command("status")
def status(json_out: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Say whether the bot is running (its heartbeat is fresh): exit 0 if it is, 1 if not.

    The container's HEALTHCHECK and a monitoring script can run it on the same database.

    \b
    Example:
      higgsctl bot status --json
    """
    from . import render
    from .context import open_engine

    with open_engine() as engine:
        beat = engine.heartbeats.get("bot")
    up = beat is not None and beat.up()
    if json_out:
        render.print_json({"running": up, **({} if beat is None else {
            "host": beat.host, "pid": beat.pid, "version": beat.version, "started_at": beat.started_at,
            "beat_at": beat.beat_at, "stopped_at": beat.stopped_at})})
    elif beat is None:
        render.line("The bot has never run on this database.")
    else:
        state = "running" if up else ("stopped" if beat.stopped_at else "not answering (no heartbeat)")
        render.line(f"The bot is {state}: pid {beat.pid} on {beat.host}, version {beat.version}, "
                    f"started {render.when(beat.started_at)}, last heartbeat {render.when(beat.beat_at)}.")
    raise typer.Exit(0 if up else 1)


def admin(
    as_admin: str = typer.Option("", "--as-admin", metavar="NAME", show_default=False,
                                 help="Who you are, for the audit trail and the ledger (with your OS user)."),
) -> None:
    """Open the admin TUI: dashboard, users, generations, top-ups.

    \b
    Examples:
      higgsctl admin
      higgsctl admin --as-admin Ann
    """
    settings = load_settings(log_to_file=True)
    from higgsctl.tui.app import run_admin

    run_admin(settings, actor=actor("tui", as_admin or None))
