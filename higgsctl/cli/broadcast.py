"""`higgsctl broadcast TEXT`: queue a message to an audience of users, and `higgsctl
broadcasts` to follow, pause, resume or cancel them. The running bot sends them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import render
from .context import actor, group, open_engine

app = group("Follow, pause, resume or cancel broadcasts (the running bot sends them).")
ID = Annotated[int, typer.Argument(metavar="ID", help="The broadcast's number.", show_default=False)]


def broadcast(
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The message (plain text; a photo's caption with --photo).", show_default=False)],
    photo: Annotated[Optional[Path], typer.Option("--photo", metavar="FILE", help="Send this image with the text as its caption.", show_default=False)] = None,
    audience: Annotated[str, typer.Option("--audience", "-a", metavar="WHO", help="all, active:N (seen in N days), balance, paid or lang:xx.")] = "all",
    paid: Annotated[bool, typer.Option("--paid", help="Use Telegram's paid broadcasts (faster, charged in Stars; needs [telegram] allow_paid_broadcasts).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Queue it without asking.")] = False,
) -> None:
    """Queue a message to every user of an audience; the running bot sends it.

    Users who blocked the bot, and users an admin blocked, are skipped. Shows how many users
    it reaches and asks first (pass --yes in scripts).

    \b
    Examples:
      higgsctl broadcast "New model: Seedream 4.5 is here" --audience active:30
      higgsctl broadcast "Weekend sale" --photo sale.png --audience paid --yes
    """
    from higgsctl.engine import InvalidInput

    with open_engine() as engine:
        if paid and not engine.settings.telegram.allow_paid_broadcasts:
            raise InvalidInput("Paid broadcasts are off.", hint="Set [telegram] allow_paid_broadcasts = true first.")
        reach = engine.broadcasts.count(audience)
        if not yes:
            if not sys.stdin.isatty():
                raise InvalidInput("Refusing to broadcast without confirmation: stdin is not a terminal.",
                                   hint="Pass --yes.")
            if not typer.confirm(f"Send to {reach:,} user(s) ({audience})?", default=False, err=True):
                render.note("Nothing was queued.")
                raise typer.Exit(1)
        report = engine.broadcasts.create(text, audience, actor=actor(), photo=photo, paid=paid)
        bot = engine.heartbeats.get("bot")
    render.line(f"Broadcast #{report.broadcast.id} queued for {report.total:,} user(s).")
    if bot is None or not bot.up():
        render.warn("The bot is not running: the broadcast starts when `higgsctl bot run` does.")


def report_dict(report) -> dict:
    b = report.broadcast
    return {"id": b.id, "status": b.status, "audience": b.audience, "text": b.text, "photo": b.photo is not None,
            "paid": b.paid, "created_by": b.created_by, "created_at": b.created_at, "started_at": b.started_at,
            "finished_at": b.finished_at, "total": report.total, **report.counts}


@app.command("list")
def list_broadcasts(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List broadcasts, newest first, with how far each got.

    \b
    Example:
      higgsctl broadcasts list --json
    """
    with open_engine() as engine:
        rows = [report_dict(r) for r in engine.broadcasts.list()]
    if json_out:
        render.print_json(rows)
        return
    render.table(["#", "Status", "Audience", "Sent", "Blocked", "Failed", "Unknown", "Left", "Text"],
                 ([r["id"], r["status"], r["audience"], r["sent"], r["blocked"], r["failed"], r["unknown"],
                   r["pending"] + r["sending"], render.shorten(r["text"], 40)] for r in rows))


def _control(broadcast_id: int, status: str, done: str) -> None:
    with open_engine() as engine:
        changed = engine.broadcasts.set_status(broadcast_id, status, actor=actor())
        now = engine.broadcasts.get(broadcast_id).status
    render.line(f"Broadcast #{broadcast_id} {done}." if changed else f"Broadcast #{broadcast_id} is {now}: nothing to do.")


@app.command()
def pause(broadcast_id: ID) -> None:
    """Pause a broadcast (within one batch of 50); `resume` carries on.

    \b
    Example:
      higgsctl broadcasts pause 3
    """
    _control(broadcast_id, "paused", "is paused")


@app.command()
def resume(broadcast_id: ID) -> None:
    """Carry on with a paused broadcast.

    \b
    Example:
      higgsctl broadcasts resume 3
    """
    _control(broadcast_id, "queued", "will carry on")


@app.command()
def cancel(broadcast_id: ID) -> None:
    """Cancel a broadcast: nobody else gets it.

    \b
    Example:
      higgsctl broadcasts cancel 3
    """
    _control(broadcast_id, "canceled", "is canceled")
