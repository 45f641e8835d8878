"""Running the bot: ``run_bot(settings)`` for `higgsctl bot run`, and the ``start_bot`` /
``stop_bot`` pair it is made of (tests start the very same application in-process).

Start: open the Engine → build → initialize → start → post_init (command menus, resume
unfinished bot jobs, the notifier) → polling (default) or webhook. Stop (SIGINT/SIGTERM):
stop fetching updates → stop the notifier and the job tasks (a job already generating stays
open in the database and resumes on the next start) → stop and shut down PTB → close the Engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from urllib.parse import urlparse

from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from higgsctl.engine import ConfigError, Engine, HiggsctlError, Settings
from higgsctl.engine.leases import process_name
from higgsctl.engine.logs import setup_logging
from higgsctl.launch import open_engine

from .app import LONG_POLL, build_application, on_stop

log = logging.getLogger("higgsctl.bot")

ALLOWED_UPDATES = ["message", "callback_query", "pre_checkout_query"]  # without it every Stars checkout times out
STARTUP_RETRY_FIRST = 1.0  # seconds before the second getMe when Telegram is unreachable
STARTUP_RETRY_CAP = 60.0


def run_bot(settings: Settings, *, sandbox: bool = False) -> None:
    """Run until SIGINT/SIGTERM. ``sandbox``: against the built-in Higgsfield sandbox."""
    setup_logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings, sandbox))


async def _serve(settings: Settings, sandbox: bool) -> None:
    if not sandbox and not settings.higgsfield.has_credentials:
        raise ConfigError(f"No Higgsfield key: set [higgsfield] api_key and api_secret in {settings.config_path}.",
                          hint="Or set HF_KEY=id:secret, or run with --sandbox to try without keys.")
    async with contextlib.AsyncExitStack() as stack:
        engine = await stack.enter_async_context(open_engine(settings, sandbox=sandbox))
        settings = engine.settings  # with --sandbox: pointed at it
        if sandbox:
            log.info("using the Higgsfield sandbox at %s", settings.higgsfield.base_url)
        stopped = asyncio.Event()  # set by SIGINT/SIGTERM, also while waiting for Telegram
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises KeyboardInterrupt
                loop.add_signal_handler(sig, stopped.set)
        app = await start_bot(settings, engine, stopped=stopped, sandbox=sandbox)
        if app is None:
            log.info("stopped before Telegram answered")
            return
        stack.push_async_callback(stop_bot, app)
        await stopped.wait()
        log.info("stopping the bot")


async def start_bot(settings: Settings, engine: Engine, *, notifier_interval: float = 5.0, sandbox: bool = False,
                    album_delay: float = 1.0, stopped: asyncio.Event | None = None) -> Application | None:
    """Build and start the bot on the running loop; returns the running Application. With
    ``stopped``, an unreachable Telegram is waited out (None if ``stopped`` is set first)."""
    webhook = _webhook_args(settings) if settings.telegram.mode == "webhook" else None
    # A restart reclaims its jobs at once. Against the sandbox it answers only its own jobs: never
    # another process's (a real bot's) with fake images.
    engine.generations.leases.owner = process_name("bot-sandbox" if sandbox else "bot")
    engine.generations.adopt_orphans = not sandbox
    app = build_application(settings, engine, notifier_interval=notifier_interval, album_delay=album_delay)
    try:
        if not await _initialize(app, settings.telegram.api_base_url, stopped):
            await app.bot.shutdown()
            return None
    except BaseException as exc:
        await app.bot.shutdown()  # its HTTP clients (get_me failed: the application is not initialized)
        if isinstance(exc, InvalidToken):  # its message quotes the token
            raise ConfigError("Telegram rejected the bot token.",
                              hint="Check [telegram] token or HIGGSCTL_TELEGRAM_TOKEN (from @BotFather).") from None
        raise
    if webhook is None:
        await _refuse_a_second_poller(app, engine)
    await app.start()  # before post_init, so resumed jobs are tasks of a running application
    await app.post_init(app)
    if webhook is not None:
        await app.updater.start_webhook(**webhook, allowed_updates=ALLOWED_UPDATES)
    else:
        await app.updater.start_polling(timeout=LONG_POLL, allowed_updates=ALLOWED_UPDATES,
                                        error_callback=_polling_error)
    log.info("bot @%s is running (%s)", app.bot.username, settings.telegram.mode)
    return app


async def _refuse_a_second_poller(app: Application, engine: Engine) -> None:
    """Two processes polling one token take each other's updates away (Telegram answers the
    older getUpdates 409 Conflict, forever): a second `bot run` in polling mode on the same
    database is refused while the first one's heartbeat is fresh. A heartbeat left by a
    crashed process on this machine is recognised at once (its pid is gone); one from another
    machine goes stale within 90 s, and the refusal exits 1 so a supervisor simply retries."""
    beat = await engine.run_db(engine.heartbeats.get, "bot")
    if beat is None or not beat.up():
        return
    ours = beat.host == socket.gethostname()
    if ours and (beat.pid == os.getpid() or not _alive(beat.pid)):
        return
    await app.shutdown()
    raise HiggsctlError(
        f"Another `higgsctl bot run` is already polling Telegram on this database (pid {beat.pid} on {beat.host}).",
        hint="Stop it first. To run several bot processes, use webhook mode ([telegram] mode = \"webhook\").")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


_conflict_said = 0.0


def _polling_error(exc: TelegramError) -> None:
    """getUpdates failed; PTB retries. A 409 Conflict means another process polls this token
    (on another database, or not higgsctl): say that plainly, once a minute, not a traceback per poll."""
    global _conflict_said
    if isinstance(exc, Conflict):
        if time.monotonic() - _conflict_said > 60:
            _conflict_said = time.monotonic()
            log.error("another process is polling Telegram with this bot token (409 Conflict): each takes the "
                      "other's updates. Stop the other one, or use webhook mode for several processes.")
        return
    log.warning("getUpdates failed: %s", exc)


async def _initialize(app: Application, where: str, stopped: asyncio.Event | None) -> bool:
    """initialize() (getMe) until Telegram answers, with capped backoff while it is
    unreachable; False if ``stopped`` is set meanwhile. A rejected token raises at once."""
    delay = STARTUP_RETRY_FIRST
    while True:
        try:
            await app.initialize()
            return True
        except NetworkError as exc:
            if stopped is None or isinstance(exc, BadRequest):
                raise
            log.warning("cannot reach Telegram at %s (%s); retrying in %.0f s (Ctrl-C stops)", where, exc, delay)
        try:
            await asyncio.wait_for(stopped.wait(), delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, STARTUP_RETRY_CAP)


async def stop_bot(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    await on_stop(app)
    if app.running:
        await app.stop()
    await app.shutdown()


def _webhook_args(settings: Settings) -> dict:
    tg = settings.telegram
    try:
        import tornado  # noqa: F401  (PTB's webhook server)
    except ImportError:
        raise ConfigError("Webhook mode needs python-telegram-bot's webhooks extra.",
                          hint='pip install "python-telegram-bot[webhooks]==22.8", '
                               'or set [telegram] mode = "polling".') from None
    if not tg.webhook_url.startswith("https://"):
        raise ConfigError(f"{settings.config_path}: [telegram] webhook_url must be the public https:// URL Telegram calls.")
    return dict(listen=tg.webhook_listen, port=tg.webhook_port, url_path=urlparse(tg.webhook_url).path.strip("/"),
                webhook_url=tg.webhook_url, secret_token=tg.webhook_secret or None)
