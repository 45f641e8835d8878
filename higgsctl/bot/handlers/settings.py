"""/settings: one card with the user's language, default model and aspect, time zone and
"ask before repeating"; every button edits that card. Values from callback data go through
the engine's checks (a hostile client can send anything); a time zone can also be typed, as a
reply to the message asking for it."""

from __future__ import annotations

from datetime import datetime

from telegram import ForceReply, Update
from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from higgsctl.engine import InvalidInput
from higgsctl.engine.models import utcnow
from higgsctl.engine.preferences import UserPreferences
from higgsctl.engine.zones import known_zone, local_time, offset_text, zone_label

from .. import callbacks as cb
from ..services import db
from ..texts import EN, LANGUAGES, RU, error_text, t
from .guards import guarded
from .replies import expired, reply
from .who import Context, Who

# The zones offered as buttons (None: UTC; sorted by their offset when shown); any other can be typed.
COMMON_ZONES = (None, "Europe/London", "Europe/Berlin", "Europe/Kyiv", "Europe/Minsk", "Europe/Moscow",
                "Asia/Tbilisi", "Asia/Yekaterinburg", "Asia/Tashkent", "Asia/Almaty", "Asia/Novosibirsk",
                "Asia/Vladivostok", "America/New_York", "America/Los_Angeles")
TYPE_ZONE = "type"
ASK_ZONE = tuple(table["set_ask_zone"] for table in (EN, RU))


# --- what the card and its menus show (pure functions of the preferences) -------------------

def card_text(who: Who, prefs: UserPreferences, notice: str | None = None) -> str:
    lang, models, now = prefs.language, who.services.settings.models, utcnow()
    text = t(lang, "set_card", language=t(lang, "set_language_name"),
             model=models[prefs.model].label if prefs.model else t(lang, "set_last_used"),
             aspect=prefs.aspect or t(lang, "set_last_used"),
             zone=zone_label(prefs.timezone, now), now=local_time(now, prefs.timezone).strftime("%H:%M"),
             confirm=t(lang, "set_on" if prefs.confirm_repeats else "set_off"))
    return f"{notice}\n\n{text}" if notice else text


def card_markup(prefs: UserPreferences) -> Markup:
    lang = prefs.language
    confirm = "b_set_confirm_on" if prefs.confirm_repeats else "b_set_confirm_off"
    return Markup([
        [_menu(lang, "b_set_language", "language"), _menu(lang, "b_set_zone", "zone")],
        [_menu(lang, "b_set_model", "model"), _menu(lang, "b_set_aspect", "aspect")],
        [Button(t(lang, confirm), callback_data=cb.SET.data("r", int(not prefs.confirm_repeats)))],
    ])


def _menu(lang: str, key: str, menu: str) -> Button:
    return Button(t(lang, key), callback_data=cb.SETTINGS_MENU.data(menu))


def _choice(label: str, what: str, value: str, current: bool) -> Button:
    return Button(f"✓ {label}" if current else label, callback_data=cb.SET.data(what, value))


def _rows(buttons: list[Button], width: int) -> list[list[Button]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


def _language_menu(who: Who, prefs: UserPreferences) -> tuple[str, list[list[Button]]]:
    names = {code: t(code, "set_language_name").capitalize() for code in LANGUAGES}
    return t(prefs.language, "set_choose_language"), [[_choice(name, "l", code, code == prefs.language)
                                                        for code, name in names.items()]]


def _model_menu(who: Who, prefs: UserPreferences) -> tuple[str, list[list[Button]]]:
    lang = prefs.language
    buttons = [_choice(t(lang, "b_set_last_used"), "m", "", prefs.model is None)]
    buttons += [_choice(t(lang, "b_model", label=s.label, price=s.price), "m", s.key, s.key == prefs.model)
                for s in who.services.settings.models.values()]
    return t(lang, "set_choose_model"), _rows(buttons, 1)


def _aspect_menu(who: Who, prefs: UserPreferences) -> tuple[str, list[list[Button]]]:
    lang = prefs.language
    ratios = who.services.engine.preferences.aspects_for(prefs.model)
    buttons = [_choice(r, "a", r, r == prefs.aspect) for r in ratios]
    text = (t(lang, "set_choose_aspect_for", model=who.services.settings.models[prefs.model].label) if prefs.model
            else t(lang, "set_choose_aspect"))
    return text, [[_choice(t(lang, "b_set_last_used"), "a", "", prefs.aspect is None)], *_rows(buttons, 3)]


def _zone_menu(who: Who, prefs: UserPreferences) -> tuple[str, list[list[Button]]]:
    now = utcnow()
    zones = sorted((z for z in COMMON_ZONES if z is None or known_zone(z)), key=lambda z: local_time(now, z).utcoffset())
    buttons = [_choice(_zone_button(z, now), "z", z or "", z == prefs.timezone) for z in zones]
    typed = [Button(t(prefs.language, "b_set_type_zone"), callback_data=cb.SETTINGS_MENU.data(TYPE_ZONE))]
    return t(prefs.language, "set_choose_zone"), [*_rows(buttons, 2), typed]


def _zone_button(zone: str | None, now: datetime) -> str:
    if zone is None:
        return "UTC"
    place = zone.rsplit("/", 1)[-1].replace("_", " ")
    return f"{place} · {offset_text(local_time(now, zone).utcoffset())}"


MENUS = {"language": _language_menu, "model": _model_menu, "aspect": _aspect_menu, "zone": _zone_menu}


def menu_view(who: Who, prefs: UserPreferences, menu: str) -> tuple[str, Markup]:
    text, rows = MENUS[menu](who, prefs)
    back = [Button(t(prefs.language, "b_set_back"), callback_data=cb.SETTINGS.data())]
    return text, Markup([*rows, back])


# --- handlers ---------------------------------------------------------------------------------

async def _preferences(who: Who) -> UserPreferences:
    return await db(who.services.engine.preferences.get, who.id)


@guarded
async def settings_command(update: Update, context: Context, who: Who) -> None:
    prefs = await _preferences(who)
    await update.effective_message.reply_text(card_text(who, prefs), reply_markup=card_markup(prefs))


@guarded
async def settings_card(update: Update, context: Context, who: Who) -> None:
    prefs = await _preferences(who)
    await reply(update, card_text(who, prefs), card_markup(prefs))


@guarded
async def settings_menu(update: Update, context: Context, who: Who) -> None:
    menu = (cb.SETTINGS_MENU.parts(update.callback_query.data) or [""])[0]
    prefs = await _preferences(who)
    if menu == TYPE_ZONE:
        await ask_zone(update, prefs.language)
    elif menu in MENUS:
        await reply(update, *menu_view(who, prefs, menu))
    else:
        await expired(update, who)


@guarded
async def setting_chosen(update: Update, context: Context, who: Who) -> None:
    """Set one preference (each button carries the value it sets, so a double tap or an old
    button sets the same value again), then show the card with it."""
    parts = cb.SET.parts(update.callback_query.data)
    if len(parts) != 2:
        await expired(update, who)
        return
    what, value = parts
    preferences, refused = who.services.engine.preferences, None
    try:
        if what == "l" and value in LANGUAGES:
            await db(who.services.engine.users.set_language, who.id, value)
        elif what == "m":
            await db(preferences.set_model, who.id, value or None)
        elif what == "a":
            await db(preferences.set_aspect, who.id, value or None)
        elif what == "z":
            await db(preferences.set_timezone, who.id, value or None)
        elif what == "r" and value in ("0", "1"):
            await db(preferences.set_confirm_repeats, who.id, value == "1")
        else:
            await expired(update, who)
            return
    except InvalidInput as exc:  # a value the catalog no longer has, or one no button ever offered
        refused = exc
    prefs = await _preferences(who)
    notice = "⚠️ " + error_text(prefs.language, refused.code, refused.params) if refused else None
    await reply(update, card_text(who, prefs, notice), card_markup(prefs))


async def ask_zone(update: Update, lang: str, before: str | None = None) -> None:
    """A new message asking for a zone; the user's reply to it is read by ``zone_typed``."""
    text = t(lang, "set_ask_zone")
    markup = ForceReply(input_field_placeholder=t(lang, "set_zone_placeholder"))
    await update.get_bot().send_message(update.effective_chat.id, f"{before}\n\n{text}" if before else text,
                                        reply_markup=markup)


class _ReplyToZoneQuestion(filters.MessageFilter):
    """A text replying to one of this bot's messages that ask for a time zone (whatever the
    process that sent it: the question is in the reply itself, so a restart loses nothing)."""

    def filter(self, message) -> bool:
        asked = message.reply_to_message
        return (asked is not None and asked.from_user is not None and asked.from_user.id == message.get_bot().id
                and (asked.text or "").endswith(ASK_ZONE))


@guarded
async def zone_typed(update: Update, context: Context, who: Who) -> None:
    try:
        prefs = await db(who.services.engine.preferences.set_timezone, who.id, update.effective_message.text or "")
    except InvalidInput as exc:
        await ask_zone(update, who.lang, before=error_text(who.lang, exc.code, exc.params))
        return
    await update.effective_message.reply_text(card_text(who, prefs, t(who.lang, "set_saved")),
                                              reply_markup=card_markup(prefs))


def register(app: Application, group: int = 0) -> None:
    """Before the handlers of typed prompts: a reply to the zone question is not a prompt."""
    app.add_handler(CommandHandler("settings", settings_command), group)
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
                                   & _ReplyToZoneQuestion(), zone_typed), group)
    app.add_handler(CallbackQueryHandler(settings_card, pattern=cb.SETTINGS.pattern), group)
    app.add_handler(CallbackQueryHandler(settings_menu, pattern=cb.SETTINGS_MENU.pattern), group)
    app.add_handler(CallbackQueryHandler(setting_chosen, pattern=cb.SET.pattern), group)
