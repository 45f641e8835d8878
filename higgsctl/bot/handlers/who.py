"""Who is talking (registered on first contact, language, blocked, admin), and the wizard
draft their text, photos or a pressed button go to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from telegram import Update
from telegram.ext import ContextTypes

from higgsctl.engine import NotFound
from higgsctl.engine.models import utcnow

from ..drafts import Draft
from ..callbacks import draft_of
from ..services import Services, db, services
from ..texts import language_for, t

Context = ContextTypes.DEFAULT_TYPE
SEEN_EVERY = timedelta(minutes=1)  # how often a user's last-seen time is written, at most


@dataclass
class Who:
    id: int
    lang: str
    name: str
    balance: int
    admin: bool
    services: Services
    timezone: str | None = None  # an IANA name (/settings); None: UTC
    confirm_repeats: bool = True  # False: Regenerate and the like spend without asking first


async def current_draft(who: Who) -> Draft | None:
    """The draft text and photos go to (the one touched last), if any."""
    return await who.services.drafts.current(who.id)


async def named_draft(update: Update, who: Who, *steps: str) -> tuple[str, Draft | None]:
    """(argument, draft) of a draft's button: the draft its callback data names, if that
    draft still exists and is at one of ``steps``."""
    argument, draft_id = draft_of(update.callback_query.data or "")
    draft = await who.services.drafts.get(who.id, draft_id)
    return argument, draft if draft is not None and draft.step in steps else None


async def identify(update: Update, context: Context) -> Who | None:
    """The engine's user for this update (registered on first contact); None when blocked
    (after telling them so) or when the update has no user."""
    tg_user = update.effective_user
    if tg_user is None or tg_user.is_bot or not private(update):
        return None
    s = services(context)
    try:
        user = await db(s.engine.users.get, tg_user.id)
        if user.blocked_bot_at is not None or utcnow() - user.last_seen_at > SEEN_EVERY:
            await db(s.engine.users.seen, user.id)  # active again (and no longer blocking the bot)
    except NotFound:
        user, _ = await db(s.engine.users.register, tg_user.id, username=tg_user.username,
                           first_name=tg_user.first_name or "", last_name=tg_user.last_name,
                           language=language_for(tg_user.language_code))
    admin = s.is_admin(tg_user.id)
    if user.blocked and not admin:
        if update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, t(user.language, "blocked"))
        return None
    return Who(id=user.id, lang=user.language, name=tg_user.first_name or user.display_name,
               balance=user.balance, admin=admin, services=s, timezone=user.timezone,
               confirm_repeats=user.confirm_repeats)


def private(update: Update) -> bool:
    """The bot serves private chats only; in groups it stays silent."""
    return update.effective_chat is not None and update.effective_chat.type == "private"
