"""`higgsctl users`: list, inspect, block and unblock bot users."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from . import render
from .context import actor, group, open_engine, user_label

app = group("List, inspect, block and unblock users.")

USER = Annotated[str, typer.Argument(metavar="USER", help="Telegram id or @username.", show_default=False)]
JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class Sort(str, Enum):
    id = "id"
    username = "username"
    balance = "balance"
    generations = "generations"
    created = "created_at"
    last_seen = "last_seen_at"


def user_dict(user, generations: int | None = None) -> dict:
    data = {"id": user.id, "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "language": user.language, "balance": user.balance, "blocked": user.blocked,
            "created_at": user.created_at, "last_seen_at": user.last_seen_at}
    if generations is not None:
        data["generations"] = generations
    return data


@app.command("list")
def list_users(
    search: Annotated[Optional[str], typer.Option("--search", "-s", metavar="TEXT", help="Match id, @username, first or last name (any case, any script).", show_default=False)] = None,
    sort: Annotated[Sort, typer.Option("--sort", help="Sort key.")] = Sort.id,
    desc: Annotated[bool, typer.Option("--desc", help="Largest / newest first.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="Rows to show.")] = 50,
    json_out: JSON = False,
) -> None:
    """List users with their balance and number of generations.

    \b
    Examples:
      higgsctl users list --sort balance --desc --limit 10
      higgsctl users list --search alice --json
    """
    with open_engine() as engine:
        rows = engine.users.list(search=search, order=sort.value, descending=desc, limit=limit)
        total = engine.users.count(search=search)
    if json_out:
        render.print_json([user_dict(r.user, r.generations) for r in rows])
        return
    render.table(["Id", "User", "Name", "Balance", "Gens", "Blocked", "Last seen"],
                 ([r.user.id, f"@{r.user.username}" if r.user.username else "", r.user.first_name, r.user.balance,
                   r.generations, "yes" if r.user.blocked else "", render.when(r.user.last_seen_at)] for r in rows))
    if total > len(rows):
        render.note(f"[dim]Showing {len(rows)} of {total} users (--limit).[/]")


@app.command()
def show(user: USER, json_out: JSON = False) -> None:
    """Show one user: balance, status, generations and any pending top-up.

    \b
    Example:
      higgsctl users show @alice
    """
    from higgsctl.engine import AuditFilter, HistoryFilter

    with open_engine() as engine:
        target = engine.users.resolve(user)
        generations = engine.history.count(HistoryFilter(user_id=target.id))
        pending = engine.topups.pending_for(target.id)
        blocking = engine.audit.list(AuditFilter(user_id=target.id, action="block", limit=1)) if target.blocked else []
    block = {"by": blocking[0].actor, "at": blocking[0].created_at, "reason": blocking[0].reason} if blocking else None
    data = {**user_dict(target, generations), "pending_topup": None if pending is None else pending.id, "block": block}
    if json_out:
        render.print_json(data)
        return
    blocked = "no" if not target.blocked else "yes" + (
        f" (by {block['by']}, {render.when(block['at'])}" + (f": {block['reason']})" if block["reason"] else ")")
        if block else "")
    render.fields([
        ("User", user_label(target)), ("Name", " ".join(p for p in (target.first_name, target.last_name) if p)),
        ("Language", target.language), ("Balance", target.balance), ("Blocked", blocked),
        ("Generations", generations), ("Pending top-up", f"#{pending.id}" if pending else "none"),
        ("Joined", render.when(target.created_at)), ("Last seen", render.when(target.last_seen_at)),
    ])


REASON = Annotated[Optional[str], typer.Option("--reason", metavar="TEXT", help="Why (recorded in the audit trail).", show_default=False)]


@app.command()
def block(user: USER, reason: REASON = None) -> None:
    """Block a user: the bot stops serving them and holds are refused.

    \b
    Example:
      higgsctl users block @spammer --reason "chargeback fraud"
    """
    _set_blocked(user, True, reason)


@app.command()
def unblock(user: USER, reason: REASON = None) -> None:
    """Unblock a user.

    \b
    Example:
      higgsctl users unblock 123456789 --reason "appeal accepted"
    """
    _set_blocked(user, False, reason)


def _set_blocked(ref: str, blocked: bool, reason: str | None) -> None:
    with open_engine() as engine:
        target = engine.users.set_blocked(engine.users.resolve(ref).id, blocked, actor=actor(), reason=reason)
    render.line(f"{'Blocked' if blocked else 'Unblocked'} {user_label(target)}.")
