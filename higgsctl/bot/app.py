"""``build_application(settings, engine)``: the PTB Application, built but not started."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from higgsctl.engine import ConfigError, Engine, Settings

from . import alerts, heartbeat, send_rate, takeover
from .broadcaster import Broadcaster
from .delivery import Delivery
from .handlers import register_all
from .notifier import Notifier
from .services import KEY, Services
from .texts import ADMIN_COMMANDS, COMMANDS, FALLBACKS
from .transport import telegram_request

log = logging.getLogger("higgsctl.bot")

LONG_POLL = 10  # seconds getUpdates waits on the server; its read timeout adds to this
BROADCASTER = "higgsctl-broadcaster"
SERVERS = "higgsctl-servers"  # the HTTP endpoints this process serves (metrics, webhooks)
POOL_SIZE = 256  # connections for the Bot API calls (the rate limiter decides how many run at once)


def build_application(settings: Settings, engine: Engine, *, notifier_interval: float = 5.0,
                      album_delay: float = 1.0) -> Application:
    tg = settings.telegram
    if not tg.token:
        raise ConfigError(f"No bot token: set [telegram] token in {settings.config_path}.",
                          hint="Or set HIGGSCTL_TELEGRAM_TOKEN. @BotFather gives you one.")
    root = tg.api_base_url.rstrip("/")
    app = (
        Application.builder()
        .token(tg.token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .concurrent_updates(True)
        # Paced at this process's share of the bot's rate; a 429's retry_after is honoured
        # between tries (the default gives up after the first).
        .rate_limiter(send_rate.SharedRateLimiter(max_retries=5))
        # PTB's 5 s defaults are too short for photo uploads and downloads. (The builder refuses
        # its timeout setters next to .request(), so the timeouts live in the request objects.)
        .request(telegram_request(POOL_SIZE, connect_timeout=10, read_timeout=30, write_timeout=60,
                                  media_write_timeout=120, pool_timeout=10, redactor=engine.redactor))
        .get_updates_request(telegram_request(2, connect_timeout=10, read_timeout=10, pool_timeout=10,
                                              redactor=engine.redactor))
        .post_init(on_startup)
        .build()
    )
    app.bot_data[KEY] = Services(
        settings=settings, engine=engine, delivery=Delivery(app, engine),
        notifier=Notifier(app, engine, notifier_interval), album_delay=album_delay,
    )
    register_all(app, tg.admin_ids)
    return app


async def on_startup(app: Application) -> None:
    """post_init: command menus, then finish what a previous process left (resumed jobs
    deliver when done; the notifier's first sweep sends finished-but-undelivered results
    and top-up decisions made while the bot was down)."""
    services: Services = app.bot_data[KEY]
    await heartbeat.start(app, services.engine)
    await send_rate.start(app, services.engine)
    await start_servers(app, services)
    await set_commands(app, services.settings)
    app.bot_data[BROADCASTER] = Broadcaster(app, services.engine)
    await app.bot_data[BROADCASTER].start()
    resumed = await services.delivery.resume()
    if resumed:
        log.info("resumed %d generation(s)", resumed)
    services.notifier.start()
    takeover.start(app)
    await alerts.start(app, services.engine, resumed)


async def on_stop(app: Application) -> None:
    """Before Application.stop(): it waits for every task, and a generation can take minutes."""
    services: Services = app.bot_data[KEY]
    await alerts.stop(app)
    await takeover.stop(app)
    await services.notifier.stop()
    broadcaster = app.bot_data.pop(BROADCASTER, None)
    if broadcaster is not None:
        await broadcaster.stop()
    await services.delivery.stop()
    await services.engine.generations.hand_back()  # open jobs: any other process takes them at once
    for server in app.bot_data.pop(SERVERS, []):
        await server.stop()
    await send_rate.stop(app, services.engine)
    await heartbeat.stop(app, services.engine)


async def start_servers(app: Application, services: Services) -> None:
    """/metrics, /healthz and /readyz on [observability] metrics_port, and the receiver of
    Higgsfield's webhooks on [higgsfield] webhook_port, each when configured."""
    o, hf = services.settings.observability, services.settings.higgsfield
    servers = app.bot_data.setdefault(SERVERS, [])
    if o.metrics_port:
        from higgsctl.engine.metrics_server import MetricsServer

        servers.append(MetricsServer(services.engine, o.metrics_host, o.metrics_port))
    if hf.webhook_url:
        from higgsctl.engine.webhooks import webhook_server

        servers.append(webhook_server(services.engine))
    for server in servers:
        await server.start()


async def set_commands(app: Application, settings: Settings) -> None:
    bot = app.bot
    payments = settings.payments
    switched_off = {"buy"} if not payments.stars else set()
    switched_off |= {"topup"} if not payments.topup_requests else set()

    def menu(lang: str) -> list[BotCommand]:
        return [BotCommand(c, d) for c, d in COMMANDS[lang] if c not in switched_off]

    try:
        await bot.set_my_commands(menu("en"))
        await bot.set_my_commands(menu("ru"), language_code="ru")
        for code, lang in FALLBACKS.items():  # Telegram picks a menu by the user's code: theirs too
            await bot.set_my_commands(menu(lang), language_code=code)
    except TelegramError as exc:
        log.warning("command menu not set: %s", exc)
    admin_menu = menu("en") + [BotCommand(c, d) for c, d in ADMIN_COMMANDS]
    for admin_id in settings.telegram.admin_ids:
        try:
            await bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # "chat not found" until the admin opens the bot once
            log.warning("admin command menu for %s not set: %s", admin_id, exc)
