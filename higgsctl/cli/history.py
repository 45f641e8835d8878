"""`higgsctl history`: past generations, filtered; `history show ID` for one in full."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import render
from .context import group, open_engine, user_label

app = group(None, no_args_is_help=False)  # help: the callback's docstring

JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]


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
    generation_id: Annotated[int, typer.Argument(metavar="ID", help="Generation id.", show_default=False)],
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
        "references": [str(engine.store.inside(Path(p))) for p in g.references],
        "result_files": [str(engine.store.inside(Path(p))) for p in g.result_files],
    }


def _took(data: dict) -> str:
    if data["finished_at"] is None:
        return ""
    seconds = (data["finished_at"] - data["created_at"]).total_seconds()
    return f"{seconds:.1f} s"
