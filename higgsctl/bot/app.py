"""``build_application(settings, engine)``: the PTB Application, built but not started."""

from __future__ import annotations

import asyncio
import logging
import os

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application
from telegram.request import HTTPXRequest

from higgsctl.engine import ConfigError, Engine, Settings
from higgsctl.engine.redaction import Redactor

from .delivery import Delivery
from .handlers import register_all
from .notifier import Notifier
from .services import KEY, Services
from .texts import ADMIN_COMMANDS, COMMANDS

log = logging.getLogger("higgsctl.bot")

LONG_POLL = 10  # seconds getUpdates waits on the server; its read timeout adds to this
POOL_SIZE = 256  # connections for the Bot API calls (the rate limiter decides how many run at once)
SHAPES_ONLY = Redactor()  # masks anything shaped like a bot token, known or not
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


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
        # The default gives up after the first 429; retry_after is honoured between tries.
        .rate_limiter(AIORateLimiter(max_retries=5))
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


def telegram_request(pool_size: int, *, redactor: Redactor = SHAPES_ONLY, **timeouts: float) -> HTTPXRequest:
    """PTB's HTTP client on aiohttp's connection pool: httpx's own (httpcore) spends about half
    the bot's CPU scanning its pool once hundreds of calls are in flight (the engine's
    Higgsfield client switched for the same reason). Behind a proxy from the environment,
    httpx's own transport (which honours it; aiohttp as used here does not)."""
    transport = None
    if not any(os.environ.get(name) for name in PROXY_VARIABLES):
        transport = ScrubbedAiohttpTransport(redactor, limits=httpx.Limits(max_connections=pool_size))
    return HTTPXRequest(connection_pool_size=pool_size, **timeouts,
                        httpx_kwargs={"transport": transport} if transport is not None else None)


class ScrubbedAiohttpTransport(AiohttpTransport):
    """httpx_aiohttp's transport, with three fixes for the Bot API:

    - aiohttp puts the full URL, bot token included, in some error messages ("Connection
      timeout to host http://…/bot<token>/sendPhoto"), which PTB wraps and re-raises: the
      token is redacted from the message and the aiohttp exception is not chained. A refused
      or reset connection is a network error again, not a timeout; an aiohttp error that
      httpx_aiohttp doesn't map (a malformed response) is a protocol error.
    - aiohttp has no write timeout (httpx_aiohttp maps pool → connect, connect, read): a
      request that has no answer within pool + write + read seconds (PTB's per-request values,
      media_write_timeout for uploads) fails as httpx.WriteTimeout, which PTB turns into TimedOut.
    - its ClientSession is made on first use and closed with the client; PTB rebuilds its
      httpx client on a re-initialize, reusing this transport: a closed session is replaced.
    """

    def __init__(self, redactor: Redactor, **kwargs) -> None:
        super().__init__(**kwargs)
        self.redact = redactor

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if getattr(self.client, "closed", False):
            self.client = None
        timeout = request.extensions.get("timeout", {})
        parts = [timeout.get(name) for name in ("pool", "write", "read")]
        budget = None if None in parts else sum(parts)
        try:
            async with asyncio.timeout(budget):
                return await super().handle_async_request(request)
        except TimeoutError:
            raise httpx.WriteTimeout(f"no answer within {budget} s", request=request) from None
        except httpx.RequestError as exc:
            cause = exc.__cause__
            kind = type(exc)
            if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(cause, TimeoutError):
                # httpx_aiohttp maps every connection error to ConnectTimeout, and PTB's polling
                # loop retries a timeout at once: a refused connection would spin.
                kind = httpx.ConnectError if isinstance(cause, aiohttp.ClientConnectorError) else httpx.NetworkError
            name = type(cause).__name__ if cause is not None else kind.__name__
            raise kind(f"{name}: {self.redact(exc)}", request=request) from None
        except aiohttp.ClientError as exc:  # not mapped by httpx_aiohttp (e.g. a malformed response)
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {self.redact(exc)}",
                                            request=request) from None


async def on_startup(app: Application) -> None:
    """post_init: command menus, then finish what a previous process left (resumed jobs
    deliver when done; the notifier's first sweep sends finished-but-undelivered results
    and top-up decisions made while the bot was down)."""
    services: Services = app.bot_data[KEY]
    await set_commands(app, services.settings)
    resumed = await services.delivery.resume()
    if resumed:
        log.info("resumed %d generation(s)", resumed)
    services.notifier.start()


async def on_stop(app: Application) -> None:
    """Before Application.stop(): it waits for every task, and a generation can take minutes."""
    services: Services = app.bot_data[KEY]
    await services.notifier.stop()
    await services.delivery.stop()


async def set_commands(app: Application, settings: Settings) -> None:
    bot = app.bot
    try:
        await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["en"]])
        await bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS["ru"]], language_code="ru")
    except TelegramError as exc:
        log.warning("command menu not set: %s", exc)
    admin_menu = [BotCommand(c, d) for c, d in COMMANDS["en"] + ADMIN_COMMANDS]
    for admin_id in settings.telegram.admin_ids:
        try:
            await bot.set_my_commands(admin_menu, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # "chat not found" until the admin opens the bot once
            log.warning("admin command menu for %s not set: %s", admin_id, exc)
