"""`higgsctl history`: past generations, filtered; `history show ID` for one in full;
`history cancel|refund|resend ID`: an admin's actions on one (audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import render
from .context import actor, confirm, group, load_settings, open_engine, user_label

app = group(None, no_args_is_help=False)  # help: the callback's docstring

JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]
GENERATION = Annotated[int, typer.Argument(metavar="ID", help="Generation id.", show_default=False)]
REASON = Annotated[Optional[str], typer.Option("--reason", metavar="TEXT", help="Why (recorded in the audit trail and the ledger).", show_default=False)]
YES = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@app.callback(invoke_without_command=True)
def history(
    ctx: typer.Context,
    user: Annotated[Optional[str], typer.Option("--user", "-u", metavar="USER", help="Telegram id or @username.", show_default=False)] = None,
    model: Annotated[Optional[str], typer.Option("--model", "-m", metavar="MODEL", help="Model key.", show_default=False)] = None,
    status: Annotated[Optional[str], typer.Option("--status", metavar="STATUS", help="completed, failed, nsfw, canceled, timed_out, or an active status.", show_default=False)] = None,
    text: Annotated[Optional[str], typer.Option("-q", "--query", metavar="TEXT", help="Text the prompt contains (any case, any script; literal, no wildcards).", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="Newest generations to show.")] = 20,
    json_out: JSON = False,
) -> None:
    """Past generations, newest first (or `history show ID` for one in full).

    \b
    Examples:
      higgsctl history --user @alice --status failed
      higgsctl history -q fox --limit 5 --json
      higgsctl history show 42
    """
    if ctx.invoked_subcommand is not None:
        return
    from higgsctl.engine import ACTIVE, TERMINAL, HistoryFilter, InvalidInput

    if status and status not in (*ACTIVE, *TERMINAL):
        raise InvalidInput(f"Unknown status {status!r}.", hint=f"Choose one of: {', '.join((*TERMINAL, *ACTIVE))}.")
    with open_engine() as engine:
        user_id = engine.users.resolve(user).id if user else None
        rows = engine.history.list(HistoryFilter(user_id=user_id, model=model, status=status, text=text, limit=limit))
        data = [generation_dict(engine, g) for g in rows]
    if json_out:
        render.print_json(data)
        return
    if not data:
        render.note("No generations match.")
        return
    render.table(["#", "When", "User", "Model", "Status", "Cost", "Prompt"],
                 ([g["id"], render.when(g["created_at"]), g["user"], g["model"], g["status"],
                   f"{g['cost']} {g['charge']}", render.shorten(g["prompt"])] for g in data))


@app.command()
def show(
    generation_id: GENERATION,
    json_out: JSON = False,
) -> None:
    """Show one generation in full: prompt, status, error, request id, timings, cost and
    the absolute paths of its reference and result files.

    \b
    Example:
      higgsctl history show 42 --json
    """
    with open_engine() as engine:
        data = generation_dict(engine, engine.generations.get(generation_id))
    if json_out:
        render.print_json(data)
        return
    render.fields([
        ("Generation", f"#{data['id']}"), ("User", data["user"]), ("Model", data["model"]),
        ("Aspect", data["aspect_ratio"]), ("Status", data["status"]), ("Error", data["error"]),
        ("Delivered", render.when(data["delivered_at"]) or "no"),
        ("Request id", data["request_id"]), ("Source", data["source"]),
        ("Cost", f"{data['cost']} credits ({data['charge']})"),
        ("Created", render.when(data["created_at"])), ("Submitted", render.when(data["submitted_at"])),
        ("Finished", render.when(data["finished_at"])), ("Took", _took(data)), ("Prompt", data["prompt"]),
    ])
    for label, key in (("Reference", "references"), ("Result", "result_files")):
        for path in data[key]:
            render.line(f"{label}: {path}")


def generation_dict(engine, g) -> dict:
    """A generation as JSON-ready data; file paths are absolute."""
    return {
        "id": g.id, "user_id": g.user_id, "user": user_label(g.user), "model": g.model, "prompt": g.prompt,
        "aspect_ratio": g.aspect_ratio, "status": g.status, "error": g.error, "request_id": g.request_id,
        "source": g.source, "cost": g.cost, "charge": g.charge,
        "created_at": g.created_at, "submitted_at": g.submitted_at, "finished_at": g.finished_at,
        "delivered_at": g.delivered_at,
        "references": [str(engine.store.inside(Path(p))) for p in g.references],
        "result_files": [str(engine.store.inside(Path(p))) for p in g.result_files],
    }


def _took(data: dict) -> str:
    if data["finished_at"] is None:
        return ""
    seconds = (data["finished_at"] - data["created_at"]).total_seconds()
    return f"{seconds:.1f} s"


@app.command()
def cancel(generation_id: GENERATION, reason: REASON = None, yes: YES = False) -> None:
    """Cancel a generation that has not started generating; its held credits go back.

    \b
    Example:
      higgsctl history cancel 42 --reason "duplicate request" --yes
    """
    import asyncio

    from higgsctl.engine import AdminAct
    from higgsctl.launch import open_engine as open_async_engine

    settings = load_settings()
    with open_engine(settings) as engine:
        generation = engine.generations.get(generation_id)
        who = user_label(generation.user)
    confirm(f"Cancel generation #{generation_id} of {who} ({generation.status}, {generation.cost} credits held)?", yes)

    async def run() -> bool:
        async with open_async_engine(settings) as engine:
            return await engine.generations.cancel(generation_id, AdminAct(actor(), reason))

    if not asyncio.run(run()):
        from higgsctl.engine import InvalidInput

        raise InvalidInput(f"Generation #{generation_id} can't be canceled: it is already generating or over.",
                           hint="Refund a completed one with `higgsctl history refund ID`.")
    render.line(f"Canceled generation #{generation_id} of {who}; {generation.cost} credits released.")


@app.command()
def refund(generation_id: GENERATION, reason: REASON = None, yes: YES = False) -> None:
    """Give a completed generation's credits back to its user (once; ledger reason "refund").

    \b
    Example:
      higgsctl history refund 42 --reason "blurry result" --yes
    """
    from higgsctl.engine import AdminAct

    with open_engine() as engine:
        generation = engine.generations.get(generation_id)
        who = user_label(generation.user)
        confirm(f"Refund {generation.cost} credits of generation #{generation_id} to {who}?", yes)
        balance = engine.generations.refund(generation_id, AdminAct(actor(), reason))
    render.line(f"Refunded {generation.cost} credits of generation #{generation_id} to {who}. Balance: {balance}.")


@app.command()
def resend(generation_id: GENERATION, reason: REASON = None, yes: YES = False) -> None:
    """Have the bot send a completed result to its user again (within its next sweep, about 5 s).

    \b
    Example:
      higgsctl history resend 42 --yes
    """
    from higgsctl.engine import AdminAct

    with open_engine() as engine:
        generation = engine.generations.get(generation_id)
        who = user_label(generation.user)
        confirm(f"Send the result of generation #{generation_id} to {who} again?", yes)
        engine.generations.request_resend(generation_id, AdminAct(actor(), reason))
    render.line(f"Generation #{generation_id} will be sent to {who} again by the running bot.")
