"""`higgsctl credits`: balances, grants, the ledger and top-up requests."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import render
from .context import actor, group, open_engine, user_label

app = group("Balances, grants, the ledger and top-up requests.")

USER = Annotated[str, typer.Argument(metavar="USER", help="Telegram id or @username.", show_default=False)]
JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def grant(
    user: USER,
    amount: Annotated[str, typer.Argument(metavar="AMOUNT", help="Credits to add (a positive whole number, digits 0-9).", show_default=False)],
    reason: Annotated[Optional[str], typer.Option("--reason", metavar="TEXT", help="A note for the ledger.", show_default=False)] = None,
) -> None:
    """Add credits to a user's balance (the ledger and the audit trail name you: `cli:<OS user>`).

    \b
    Example:
      higgsctl credits grant @alice 500 --reason "contest prize"
    """
    from higgsctl.engine.amounts import parse_amount

    credits = parse_amount(amount)
    with open_engine() as engine:
        target = engine.users.resolve(user)
        balance = engine.credits.grant(target.id, credits, actor=actor(), note=reason)
    render.line(f"Granted {credits} credits to {user_label(target)}. Balance: {balance}.")


@app.command()
def show(user: USER, json_out: JSON = False) -> None:
    """Show a user's balance and any pending top-up request.

    \b
    Example:
      higgsctl credits show 123456789
    """
    with open_engine() as engine:
        target = engine.users.resolve(user)
        pending = engine.topups.pending_for(target.id)
    data = {"user_id": target.id, "user": user_label(target), "balance": target.balance,
            "pending_topup": None if pending is None else {"id": pending.id, "amount": pending.amount}}
    if json_out:
        render.print_json(data)
        return
    render.fields([("User", data["user"]), ("Balance", target.balance),
                   ("Pending top-up", "none" if pending is None else f"#{pending.id} for {pending.amount} credits")])


@app.command()
def ledger(
    user: USER,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="Newest entries to show.")] = 20,
    json_out: JSON = False,
) -> None:
    """List a user's ledger entries, newest first: sign-up, holds, releases, grants, top-ups.

    \b
    Example:
      higgsctl credits ledger @alice --limit 50
    """
    with open_engine() as engine:
        target = engine.users.resolve(user)
        entries = [_entry(e) for e in engine.credits.ledger(target.id, limit=limit)]
    if json_out:
        render.print_json({"user_id": target.id, "balance": target.balance, "entries": entries})
        return
    render.table(["#", "When", "Amount", "Reason", "Actor", "Note"],
                 ([e["id"], render.when(e["created_at"]), f"{e['amount']:+d}", e["reason"], e["actor"], e["note"]]
                  for e in entries), title=f"{user_label(target)}: balance {target.balance}")


def _entry(e) -> dict:
    return {"id": e.id, "created_at": e.created_at, "amount": e.amount, "reason": e.reason, "actor": e.actor,
            "note": e.note, "generation_id": e.generation_id, "topup_id": e.topup_id}


@app.command()
def requests(
    all_: Annotated[bool, typer.Option("--all", help="Include decided requests (latest first).")] = False,
    json_out: JSON = False,
) -> None:
    """List top-up requests users made in the bot (pending only, unless --all).

    \b
    Examples:
      higgsctl credits requests
      higgsctl credits requests --all --json
    """
    with open_engine() as engine:
        rows = engine.topups.recent() if all_ else engine.topups.pending()
        data = [_topup(t) for t in rows]
    if json_out:
        render.print_json(data)
        return
    if not data:
        render.note("No pending top-up requests." if not all_ else "No top-up requests.")
        return
    render.table(["#", "User", "Amount", "Status", "Requested", "Decided by", "Granted"],
                 ([t["id"], t["user"], t["amount"], t["status"], render.when(t["created_at"]), t["decided_by"],
                   t["granted"]] for t in data))


def _topup(t) -> dict:
    return {"id": t.id, "user_id": t.user_id, "user": user_label(t.user), "amount": t.amount, "status": t.status,
            "granted": t.granted, "decided_by": t.decided_by, "created_at": t.created_at, "decided_at": t.decided_at}


@app.command()
def approve(
    request_id: Annotated[int, typer.Argument(metavar="ID", help="Top-up request id.", show_default=False)],
    amount: Annotated[Optional[str], typer.Option("--amount", metavar="N", help="Grant this instead of the requested amount.", show_default=False)] = None,
) -> None:
    """Approve a pending top-up request; the bot tells the user.

    \b
    Examples:
      higgsctl credits approve 12
      higgsctl credits approve 12 --amount 5000
    """
    from higgsctl.engine.amounts import parse_amount

    credits = None if amount is None else parse_amount(amount)
    with open_engine() as engine:
        topup = engine.topups.approve(request_id, actor=actor(), amount=credits)
        who, balance = user_label(topup.user), engine.credits.balance(topup.user_id)
    render.line(f"Approved top-up #{topup.id} for {who}: +{topup.granted} credits. Balance: {balance}.")


@app.command()
def reject(
    request_id: Annotated[int, typer.Argument(metavar="ID", help="Top-up request id.", show_default=False)],
    reason: Annotated[Optional[str], typer.Option("--reason", metavar="TEXT", help="Why (recorded in the audit trail).", show_default=False)] = None,
    tell_user: Annotated[bool, typer.Option("--tell-user", help="The bot tells the user the reason, too.")] = False,
) -> None:
    """Reject a pending top-up request; the bot tells the user (and the reason, with --tell-user).

    \b
    Examples:
      higgsctl credits reject 12
      higgsctl credits reject 12 --reason "no payment received" --tell-user
    """
    with open_engine() as engine:
        topup = engine.topups.reject(request_id, actor=actor(), reason=reason, share_reason=tell_user)
        who = user_label(topup.user)
    told = " The user will be told the reason." if topup.reason_shared else ""
    render.line(f"Rejected top-up #{topup.id} for {who}.{told}")
