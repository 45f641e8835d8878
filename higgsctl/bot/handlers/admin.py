"""Admin commands: /grant, /user, /stats, /block, /unblock.

Registered with a ``filters.User(admin ids)`` filter: for anyone else these commands fall
through to the unknown-command hint, exactly like a command that does not exist.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, filters

from higgsctl.engine import HiggsctlError, HistoryFilter
from higgsctl.engine.amounts import AmountError, parse_amount
from higgsctl.engine.audit import bot_actor
from higgsctl.engine.zones import format_local

from ..services import db
from ..texts import admin, t
from .guards import guarded
from .who import Context, Who

log = logging.getLogger("higgsctl.bot.admin")
RECENT = 5


def admin_actor(update: Update, who: Who) -> str:
    """The admin as the ledger and audit trail name them: ``admin:<id> (@name)``."""
    return bot_actor(who.id, update.effective_user.username, who.name)


async def _say(update: Update, text: str) -> None:
    await update.effective_message.reply_text(text)


@guarded
async def grant(update: Update, context: Context, who: Who) -> None:
    args = context.args or []
    if len(args) < 2:
        await _say(update, admin("usage_grant"))
        return
    try:
        amount = parse_amount(args[1])
    except AmountError as exc:
        await _say(update, f"{admin('usage_grant')}\n{exc.message}")
        return
    engine = who.services.engine
    try:
        user = await db(engine.users.resolve, args[0])
        balance = await db(engine.credits.grant, user.id, amount, actor=admin_actor(update, who),
                           note=" ".join(args[2:]) or None)
    except HiggsctlError as exc:
        await _say(update, admin("error", message=exc.message))
        return
    await _say(update, admin("granted", amount=amount, user=user.display_name, balance=balance))
    try:
        await update.get_bot().send_message(user.id, t(user.language, "granted_you", amount=amount, balance=balance))
    except TelegramError as exc:
        log.info("grant: user %s not notified: %s", user.id, exc)


@guarded
async def user_info(update: Update, context: Context, who: Who) -> None:
    if len(context.args or []) != 1:
        await _say(update, admin("usage_user", command="user"))
        return
    engine = who.services.engine
    try:
        user = await db(engine.users.resolve, context.args[0])
    except HiggsctlError as exc:
        await _say(update, admin("error", message=exc.message))
        return
    total = await db(engine.history.count, HistoryFilter(user_id=user.id))
    completed = await db(engine.history.count, HistoryFilter(user_id=user.id, status="completed"))
    recent = await db(engine.history.list, HistoryFilter(user_id=user.id, limit=RECENT))
    joined = format_local(user.created_at, who.timezone, "%Y-%m-%d")  # times in the admin's own zone
    lines = [admin("user", user=user.display_name, id=user.id, balance=user.balance, blocked="yes" if user.blocked else "no",
                   language=user.language, total=total, completed=completed, joined=joined)]
    for g in recent:
        lines.append(admin("user_gen", id=g.id, model=g.model, status=g.status, date=format_local(g.created_at, who.timezone),
                           prompt=g.prompt[:50]))
    await _say(update, "\n".join(lines))


@guarded
async def stats(update: Update, context: Context, who: Who) -> None:
    o = await db(who.services.engine.history.overview)
    await _say(update, admin("stats", users=o.users, blocked=o.blocked_users, active=o.active_generations,
                             pending=o.pending_topups, d=o.today, w=o.week))


async def _set_blocked(update: Update, context: Context, who: Who, blocked: bool) -> None:
    command = "block" if blocked else "unblock"
    if not context.args:
        await _say(update, admin("usage_block", command=command))
        return
    engine = who.services.engine
    reason = " ".join(context.args[1:]) or None
    try:
        user = await db(engine.users.resolve, context.args[0])
        user = await db(engine.users.set_blocked, user.id, blocked, actor=admin_actor(update, who), reason=reason)
    except HiggsctlError as exc:
        await _say(update, admin("error", message=exc.message))
        return
    await _say(update, admin("blocked" if blocked else "unblocked", user=user.display_name))


@guarded
async def block(update: Update, context: Context, who: Who) -> None:
    await _set_blocked(update, context, who, True)


@guarded
async def unblock(update: Update, context: Context, who: Who) -> None:
    await _set_blocked(update, context, who, False)


COMMANDS = {"grant": grant, "user": user_info, "stats": stats, "block": block, "unblock": unblock}


def register(app: Application, admin_ids: tuple[int, ...], group: int = 0) -> None:
    if not admin_ids:
        return
    only_admins = filters.User(user_id=admin_ids)
    for name, callback in COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=only_admins), group)
