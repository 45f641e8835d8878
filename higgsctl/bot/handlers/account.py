"""/balance and /history (paged, times in the user's time zone; each finished item re-sent from
local storage)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from higgsctl.engine import ACTIVE, HistoryFilter
from higgsctl.engine.zones import format_local

from .. import callbacks as cb
from .. import keyboards
from ..services import db
from ..texts import t
from .guards import guarded
from .ids import owned_generation
from .replies import reply
from .who import Context, Who

PAGE_SIZE = 5
PROMPT_PREVIEW = 60


def cheapest(who: Who) -> int:
    return min((spec.price for spec in who.services.settings.models.values()), default=0)


@guarded
async def balance(update: Update, context: Context, who: Who) -> None:
    amount = await db(who.services.engine.credits.balance, who.id)
    text = t(who.lang, "balance", balance=amount, price=cheapest(who))
    payments = who.services.settings.payments
    markup = keyboards.balance(who.lang, buy=payments.stars, topup=payments.topup_requests)
    if update.callback_query:
        await reply(update, text, markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def history_page(who: Who, page: int) -> tuple[str, keyboards.Markup | None]:
    history = who.services.engine.history
    total = await db(history.count, HistoryFilter(user_id=who.id))
    if total == 0:
        return t(who.lang, "history_empty"), keyboards.main_menu(who.lang)
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(0, min(page, pages - 1))
    items = await db(history.list, HistoryFilter(user_id=who.id, limit=PAGE_SIZE, offset=page * PAGE_SIZE))
    lines = [t(who.lang, "history_head", page=page + 1, pages=pages)]
    models = who.services.settings.models
    for g in items:
        status = "hs_active" if g.status in ACTIVE else f"hs_{g.status}"
        prompt = g.prompt if len(g.prompt) <= PROMPT_PREVIEW else g.prompt[: PROMPT_PREVIEW - 1] + "…"
        label = models[g.model].label if g.model in models else g.model
        lines.append(t(who.lang, "history_item", id=g.id, label=label, aspect=g.aspect_ratio, status=t(who.lang, status),
                       date=format_local(g.created_at, who.timezone), prompt=prompt))
    finished = [(g.id, g.status == "completed" and bool(g.result_files)) for g in items]
    markup = keyboards.history(who.lang, page, pages, finished)
    # nothing to re-send and one page: no keyboard (Telegram refuses an empty one)
    return "\n".join(lines), markup if markup.inline_keyboard else None


@guarded
async def history(update: Update, context: Context, who: Who) -> None:
    if update.callback_query:
        try:
            page = int(cb.HISTORY.parts(update.callback_query.data)[0])
        except (IndexError, ValueError):
            page = 0
        await reply(update, *await history_page(who, page))
    else:
        text, markup = await history_page(who, 0)
        await update.effective_message.reply_text(text, reply_markup=markup)


@guarded
async def history_item(update: Update, context: Context, who: Who) -> None:
    generation = await owned_generation(update, who)
    if generation is None:
        return
    if generation.status != "completed":
        await update.get_bot().send_message(update.effective_chat.id, t(who.lang, "file_gone", id=generation.id))
        return
    if generation.source == "bot" and generation.delivered_at is None:
        # its own delivery (maybe waiting to retry) sends it; sending it here too would be twice
        await update.get_bot().send_message(update.effective_chat.id, t(who.lang, "result_on_its_way", id=generation.id))
        return
    amount = await db(who.services.engine.credits.balance, who.id)
    await who.services.delivery.send_result(generation, who.lang, amount, chat_id=update.effective_chat.id)


def register(app: Application, group: int = 0) -> None:
    app.add_handler(CommandHandler("balance", balance), group)
    app.add_handler(CallbackQueryHandler(balance, pattern=cb.BALANCE.pattern), group)
    app.add_handler(CommandHandler("history", history), group)
    app.add_handler(CallbackQueryHandler(history, pattern=cb.HISTORY.pattern), group)
    app.add_handler(CallbackQueryHandler(history_item, pattern=cb.HISTORY_ITEM.pattern), group)
