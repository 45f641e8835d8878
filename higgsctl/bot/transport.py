"""The Telegram transport: PTB's HTTPXRequest on aiohttp's connection pool, with the bot
token scrubbed from transport errors by the engine's Redactor."""

from __future__ import annotations

import asyncio
import os

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from telegram.request import HTTPXRequest

from higgsctl.engine.metrics import TELEGRAM_CALLS, TELEGRAM_RATE_LIMITED
from higgsctl.engine.redaction import Redactor

SHAPES_ONLY = Redactor()  # masks anything shaped like a bot token, known or not
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


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
        """Counted per Bot API method and outcome (engine/metrics.py)."""
        method = request.url.path.rsplit("/", 1)[-1]
        try:
            response = await self._send(request)
        except Exception as exc:
            TELEGRAM_CALLS.labels(method, type(exc).__name__).inc()
            raise
        TELEGRAM_CALLS.labels(method, str(response.status_code)).inc()
        if response.status_code == 429:
            TELEGRAM_RATE_LIMITED.labels(method).inc()
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
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
