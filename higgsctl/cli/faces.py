"""`higgsctl bot run` and `higgsctl admin`: the other two faces, imported only when asked
for (the CLI never imports the bot or the TUI at module level)."""

from __future__ import annotations

import typer

from .context import group, load_settings

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


def admin() -> None:
    """Open the admin TUI: dashboard, users, generations, top-ups.

    \b
    Example:
      higgsctl admin
    """
    settings = load_settings(log_to_file=True)
    from higgsctl.tui.app import run_admin

    run_admin(settings)
