"""`higgsctl promo`: create, list and disable promo codes users redeem with /promo CODE or
the deep link t.me/<bot>?start=promo-CODE."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import render
from .context import actor, group, open_engine

app = group("Create, list and disable promo codes.")
CODE = Annotated[str, typer.Argument(metavar="CODE", help="3-32 letters A-Z, digits, '-' or '_' (any case).", show_default=False)]


def promo_dict(promo) -> dict:
    return {"code": promo.code, "credits": promo.credits, "uses": promo.max_uses, "used": promo.used,
            "expires_at": promo.expires_at, "disabled": promo.disabled, "created_by": promo.created_by,
            "created_at": promo.created_at}


@app.command()
def create(
    code: CODE,
    credits: Annotated[int, typer.Option("--credits", "-c", metavar="N", help="Credits each redemption adds.", show_default=False)],
    uses: Annotated[int, typer.Option("--uses", "-u", metavar="N", help="Redemptions in all (each user once).", show_default=False)],
    expires: Annotated[Optional[str], typer.Option("--expires", metavar="DATE", help="Last day (UTC) or ISO time it can be redeemed.", show_default=False)] = None,
) -> None:
    """Create a promo code worth N credits for N users.

    \b
    Examples:
      higgsctl promo create SPRING25 --credits 500 --uses 100 --expires 2026-12-31
    """
    from higgsctl.engine.promos import parse_expiry

    expires_at = parse_expiry(expires) if expires else None
    with open_engine() as engine:
        promo = engine.promos.create(code, credits, uses, actor=actor(), expires_at=expires_at)
    render.line(f"Created {promo.code}: {promo.credits} credits × {promo.max_uses} uses"
                + (f", until {promo.expires_at:%Y-%m-%d %H:%M} UTC" if promo.expires_at else "") + ".")
    render.note(render.escape(f"Users send /promo {promo.code}, or open t.me/<bot>?start=promo-{promo.code}."))


@app.command("list")
def list_promos(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List promo codes, newest first, with their uses.

    \b
    Example:
      higgsctl promo list --json
    """
    with open_engine() as engine:
        promos = [promo_dict(p) for p in engine.promos.list()]
    if json_out:
        render.print_json(promos)
        return
    render.table(["Code", "Credits", "Used", "Expires", "State", "Created by"],
                 ([p["code"], p["credits"], f"{p['used']}/{p['uses']}", render.when(p["expires_at"]) or "never",
                   "disabled" if p["disabled"] else "active", p["created_by"]] for p in promos))


@app.command()
def disable(code: CODE) -> None:
    """Stop a promo code from being redeemed (redemptions so far stay).

    \b
    Example:
      higgsctl promo disable SPRING25
    """
    with open_engine() as engine:
        changed = engine.promos.disable(code, actor=actor())
    render.line(f"{code.strip().upper()} {'is now disabled' if changed else 'was already disabled'}.")
