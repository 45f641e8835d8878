"""`higgsctl payments`: Telegram Stars payments: list, refund, reconcile with Telegram's record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import exit_codes, render
from .context import group, load_settings, open_engine, user_label

if TYPE_CHECKING:
    from higgsctl.engine import Settings

app = group("Telegram Stars payments: list them, refund one, reconcile them with Telegram.")

JSON = Annotated[bool, typer.Option("--json", help="Print JSON.")]
YES = Annotated[bool, typer.Option("--yes", "-y", help="Go ahead without asking (required when stdin is not a terminal).")]
PAGE = 100  # getStarTransactions' largest page


@app.command("list")
def list_payments(
    user: Annotated[Optional[str], typer.Option("--user", "-u", metavar="USER", help="Only this user's (id or @username).",
                                                show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", metavar="N", min=1, help="Newest payments to show.")] = 50,
    json_out: JSON = False,
) -> None:
    """List Stars payments, newest first: who paid, Stars, credits bought, status, charge id.

    \b
    Example:
      higgsctl payments list --user @alice --json
    """
    with open_engine() as engine:
        target = engine.users.resolve(user) if user else None
        rows = [_row(p) for p in engine.payments.list(user_id=target.id if target else None, limit=limit)]
    if json_out:
        render.print_json({"payments": rows})
        return
    render.table(["#", "When", "User", "Stars", "Credits", "Status", "Charge id"],
                 ([r["id"], render.when(r["created_at"]), r["user"], r["stars"], r["credits"], _status(r), r["charge_id"]]
                  for r in rows))


def _row(p) -> dict:
    return {"id": p.id, "charge_id": p.charge_id, "user_id": p.user_id, "user": user_label(p.user), "pack": p.pack,
            "stars": p.stars, "credits": p.credits, "status": p.status, "taken_back": p.taken_back,
            "shortfall": p.shortfall, "refund_origin": p.refund_origin, "refund_reason": p.refund_reason,
            "created_at": p.created_at, "refunded_at": p.refunded_at}


def _status(row: dict) -> str:
    if row["status"] == "refunded" and row["shortfall"]:
        return f"refunded ({row['shortfall']} short)"
    return row["status"] + (" (outside)" if row["refund_origin"] == "telegram" else "")


@app.command()
def refund(
    charge_id: Annotated[str, typer.Argument(metavar="CHARGE_ID", help="The payment's charge id (`payments list`).",
                                             show_default=False)],
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT", help="Why (kept with the payment and the ledger).",
                                        show_default=False)],
    yes: YES = False,
) -> None:
    """Refund a Stars payment: take its credits back, then return the Stars (refundStarPayment).
    Refused when the credits were spent.

    \b
    Example:
      higgsctl payments refund stxAbC123 --reason "asked in /paysupport" --yes
    """
    settings = _settings_with_token()
    with open_engine(settings) as engine:
        payment = engine.payments.get(charge_id)
        user = engine.users.get(payment.user_id)
    if not _confirm(f"Refund {payment.stars} Stars to {user_label(user)} and take back {payment.credits} credits "
                    f"(balance {user.balance})?", yes):
        raise typer.Exit(exit_codes.GENERIC)
    import asyncio

    payment = asyncio.run(_refund(settings, charge_id, reason))
    render.line(f"Refunded {payment.charge_id}: {payment.stars} Stars returned, {payment.taken_back} credits taken back.")


@app.command()
def reconcile(yes: YES = False) -> None:
    """Compare the payments with Telegram's star transactions: credit payments whose update was
    missed, reverse refunds made outside, finish interrupted refunds (after asking). Exits 1 when
    something was off.

    \b
    Example:
      higgsctl payments reconcile --yes
    """
    import asyncio

    from higgsctl.engine.reconcile import compare

    settings = _settings_with_token()
    transactions = asyncio.run(_with_bot(settings, _transactions))
    with open_engine(settings) as engine:
        payments = engine.payments.all()
    findings = compare(payments, transactions)
    render.table(["Finding", "Charge id", "User", "Stars", "Detail"],
                 ([f.kind, f.charge_id, f.user_id, f.stars, f.detail] for f in findings))
    fixable = [f for f in findings if f.fixable]
    fixed = 0
    if fixable and _confirm(f"Fix {len(fixable)} of them (credit, reverse, finish)?", yes, refuse_quietly=True):
        fixed = asyncio.run(_with_bot(settings, _fix, fixable))
    incoming = sum(t.incoming for t in transactions)
    render.line(f"Telegram: {incoming} payment(s), {len(transactions) - incoming} refund(s). "
                f"Here: {len(payments)} payment(s). Off: {len(findings)}; fixed: {fixed}.")
    if findings:
        raise typer.Exit(exit_codes.GENERIC)


def _settings_with_token() -> Settings:
    from higgsctl.engine import ConfigError

    settings = load_settings()
    if not settings.telegram.token:
        raise ConfigError(f"No bot token: set [telegram] token in {settings.config_path}.",
                          hint="Or set HIGGSCTL_TELEGRAM_TOKEN; refunds and reconciling call the Bot API.")
    return settings


def _confirm(question: str, yes: bool, *, refuse_quietly: bool = False) -> bool:
    import sys

    if yes:
        return True
    if not sys.stdin.isatty():
        if refuse_quietly:
            render.note("Not fixing anything: stdin is not a terminal (pass --yes).")
            return False
        from higgsctl.engine import InvalidInput

        raise InvalidInput("Refusing to refund without confirmation: stdin is not a terminal.", hint="Pass --yes.")
    if typer.confirm(question, default=False, err=True):
        return True
    render.note("Nothing was changed.")
    return False


async def _with_bot(settings: Settings, work, *args):
    from telegram import Bot

    root = settings.telegram.api_base_url.rstrip("/")
    async with Bot(settings.telegram.token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot") as bot:
        return await work(settings, bot, *args)


async def _refund(settings: Settings, charge_id: str, reason: str):
    from higgsctl.engine import Engine

    async def refund_with(settings, bot):
        async with Engine(settings) as engine:
            from higgsctl.engine.audit import operator_actor

            return await engine.payments.refund(charge_id, actor=operator_actor("cli"), reason=reason, send=_sender(bot))

    return await _with_bot(settings, refund_with)


def _sender(bot):
    from telegram.error import BadRequest, Forbidden, TelegramError

    from higgsctl.engine.payments import ask_telegram

    def send(user_id: int, charge_id: str):  # BadRequest is a NetworkError too: answered first
        return ask_telegram(bot.refund_star_payment(user_id, charge_id), answered=(BadRequest, Forbidden),
                            unanswered=(TelegramError,))

    return send


async def _transactions(settings: Settings, bot) -> list:
    """Every star transaction between the bot and a user, oldest first, page by page."""
    from higgsctl.engine import StarTx

    found, offset = [], 0
    while True:
        page = (await bot.get_star_transactions(offset=offset, limit=PAGE)).transactions
        for t in page:
            partner = t.source or t.receiver
            if partner is not None and partner.type == "user":
                found.append(StarTx(t.id, t.amount, t.date, t.source is not None, partner.user.id,
                                    getattr(partner, "invoice_payload", None) or ""))
        if len(page) < PAGE:
            return found
        offset += len(page)


async def _fix(settings: Settings, bot, findings: list) -> int:
    from higgsctl.engine import Engine, HiggsctlError
    from higgsctl.engine.reconcile import MISSED_PAYMENT, OUTSIDE_REFUND

    fixed = 0
    async with Engine(settings) as engine:
        payments = engine.payments
        for f in findings:
            try:
                if f.kind == MISSED_PAYMENT:
                    await engine.run_db(payments.credit, charge_id=f.charge_id, user_id=f.user_id, payload=f.payload,
                                        stars=f.stars, actor="reconcile")
                if f.kind in (MISSED_PAYMENT, OUTSIDE_REFUND) and f.refunded_at_telegram:
                    await engine.run_db(payments.record_outside_refund, f.charge_id, user_id=f.user_id,
                                        stars=f.stars, payload=f.payload)
                elif f.kind not in (MISSED_PAYMENT, OUTSIDE_REFUND):  # an unfinished refund of ours
                    if f.refunded_at_telegram:
                        await engine.run_db(payments.finish_refund, f.charge_id)
                    else:
                        await payments.complete_refund(await engine.run_db(payments.get, f.charge_id), _sender(bot))
            except HiggsctlError as exc:
                render.warn(f"{f.charge_id}: not fixed: {exc.message}")
                continue
            render.note(f"fixed {render.escape(f.charge_id)} ({f.kind})")
            fixed += 1
    return fixed
