"""/start (registers, greets, main menu), /help, /lang, and the catch-alls for input the bot
does not understand."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from .. import callbacks as cb
from .. import keyboards
from ..services import db, services
from ..texts import LANGUAGES, language_for, t
from .guards import guarded
from .menus import hint
from .replies import expired, reply
from .who import Context, Who, private

async def start(update: Update, context: Context) -> None:
    tg_user = update.effective_user
    if tg_user is None or not private(update):
        return
    s = services(context)
    user, created = await db(s.engine.users.register, tg_user.id, username=tg_user.username,
                             first_name=tg_user.first_name or "", last_name=tg_user.last_name,
                             language=language_for(tg_user.language_code))
    if user.blocked and not s.is_admin(user.id):
        await update.effective_message.reply_text(t(user.language, "blocked"))
        return
    await s.drafts.leave(user.id)  # a fresh start; cards already shown can still be confirmed
    lang = user.language
    key = "welcome" if created else "welcome_back"
    await update.effective_message.reply_text(
        t(lang, key, name=tg_user.first_name or user.display_name, balance=user.balance) + "\n\n" + t(lang, "menu"),
        reply_markup=keyboards.main_menu(lang),
    )


@guarded
async def help_command(update: Update, context: Context, who: Who) -> None:
    text = t(who.lang, "help", topup=who.services.settings.credits.topup_amount)
    if update.callback_query:
        await reply(update, text, keyboards.main_menu(who.lang))
    else:
        await update.effective_message.reply_text(text, reply_markup=keyboards.main_menu(who.lang))


@guarded
async def lang_command(update: Update, context: Context, who: Who) -> None:
    await update.effective_message.reply_text(t(who.lang, "lang_choose"), reply_markup=keyboards.languages())


@guarded
async def lang_chosen(update: Update, context: Context, who: Who) -> None:
    lang = cb.LANGUAGE.parts(update.callback_query.data)[0]
    if lang not in LANGUAGES:
        await expired(update, who)
        return
    await db(who.services.engine.users.set_language, who.id, lang)
    await reply(update, t(lang, "lang_set") + "\n\n" + t(lang, "menu"), keyboards.main_menu(lang))


@guarded
async def unknown_command(update: Update, context: Context, who: Who) -> None:
    await update.effective_message.reply_text(t(who.lang, "unknown_command"))


unknown_input = guarded(hint)


@guarded
async def unknown_button(update: Update, context: Context, who: Who) -> None:
    await expired(update, who)


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CommandHandler("start", start), group)
    app.add_handler(CommandHandler("help", help_command), group)
    app.add_handler(CommandHandler("lang", lang_command), group)
    app.add_handler(CallbackQueryHandler(help_command, pattern=cb.HELP.pattern), group)
    app.add_handler(CallbackQueryHandler(lang_chosen, pattern=cb.LANGUAGE.pattern), group)


def register_fallbacks(app: Application, group: int = 0) -> None:
    """Added last: they only see what no handler before them matched."""
    messages = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(messages & filters.COMMAND, unknown_command), group)
    app.add_handler(CallbackQueryHandler(unknown_button), group)
    app.add_handler(MessageHandler(messages & ~filters.COMMAND & ~filters.StatusUpdate.ALL, unknown_input), group)
