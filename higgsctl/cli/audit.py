"""`higgsctl audit`: the admin actions recorded by the engine (engine/audit.py)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import render
from .context import open_engine


def audit(
    user: Annotated[Optional[str], typer.Option("--user", "-u", metavar="USER", help="Only actions concerning this user (Telegram id or @username).", show_default=False)] = None,
    action: Annotated[Optional[str], typer.Option("--action", "-a", metavar="ACTION", help="Only this action: grant, topup_approve, topup_reject, block, unblock, refund, cancel, resend, promo_create, promo_disable, export.", show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="Newest entries to show.")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List admin actions, newest first: who did what, when, to whom, before and after.

    \b
    Examples:
      higgsctl audit --limit 20
      higgsctl audit --user @alice --action refund --json
    """
    from higgsctl.engine import AuditFilter, InvalidInput
    from higgsctl.engine.audit import ACTIONS, describe_change

    if action and action not in ACTIONS:
        raise InvalidInput(f"Unknown action {action!r}.", hint=f"Choose one of: {', '.join(ACTIONS)}.")
    with open_engine() as engine:
        user_id = engine.users.resolve(user).id if user else None
        entries = [entry_dict(e) for e in engine.audit.list(AuditFilter(user_id=user_id, action=action, limit=limit))]
    if json_out:
        render.print_json(entries)
        return
    if not entries:
        render.note("No admin actions recorded" + (" that match." if user or action else " yet."))
        return
    render.table(["#", "When", "Who", "Action", "Target", "Change", "Reason"],
                 ([e["id"], render.when(e["created_at"]), e["actor"], e["action"], e["target"] or "",
                   describe_change(e["before"], e["after"]), e["reason"] or ""] for e in entries))


def entry_dict(e) -> dict:
    return {"id": e.id, "created_at": e.created_at, "actor": e.actor, "action": e.action, "user_id": e.user_id,
            "target": e.target, "before": e.before, "after": e.after, "reason": e.reason}

