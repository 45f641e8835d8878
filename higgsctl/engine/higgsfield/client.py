"""The async Higgsfield API client.

Every API call goes through :meth:`HiggsfieldClient._request` on one authenticated
``httpx.AsyncClient``. Presigned uploads and result downloads live on other hosts and use a
second client that never carries the ``Authorization`` header.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from pathlib import Path
from typing import Any

import httpx

from higgsctl.engine.errors import (
    ConfigError, DownloadTooLarge, HiggsfieldError, HiggsfieldNetworkError,
    HiggsfieldServerError, HiggsfieldTimeout, InvalidInput,
)

from higgsctl.engine.images import whole_image_problem
from higgsctl.engine.metrics import HIGGSFIELD_ERRORS, timed_higgsfield
from higgsctl.engine.partfiles import durable_replace, open_part, remove_orphans, tidy
from higgsctl.engine.redaction import Redactor

from .errors_map import error_from_response, json_object, malformed
from .retry import RETRY_STATUSES, SUBMIT_RETRY_STATUSES, PollPolicy, RetryPolicy, send_with_retries
from .status import RequestStatus, Status

logger = logging.getLogger("higgsctl.higgsfield")

USER_AGENT = "higgsctl/0.1"
CHUNK_SIZE = 64 * 1024
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}\Z")
_APPLICATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*\Z")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}\Z")
_TRANSIENT = (HiggsfieldServerError, HiggsfieldNetworkError, HiggsfieldTimeout)


@functools.lru_cache(maxsize=4096)
def _parsed(url: str) -> httpx.URL | None:
    """httpx parses a URL string on every request (a quarter of the client's CPU when
    hundreds of jobs poll); a job polls the same status URL a dozen times, and httpx.URL
    is immutable, so parse each one once."""
    try:
        return httpx.URL(url)
    except httpx.InvalidURL:
        return None


def default_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport | None:
    """aiohttp under httpx's API: httpcore's pool costs ~2.5x the CPU per request once
    hundreds of jobs poll at once (bench/generations.py: 13 s vs 5 s of CPU for 500 jobs).
    With a proxy configured in the environment, httpx's own transport honours it."""
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY")):
        return None
    from httpx_aiohttp import AiohttpTransport

    return AiohttpTransport(limits=limits)


class _NoCookies(httpx.Cookies):
    """Higgsfield sets no cookies and must get none back. httpx has no switch for that
    (encode/httpx#2992) and wraps every response in urllib objects to look for them: ~0.1 ms
    of CPU per request, 7% of a generation's when hundreds run (bench/generations.py)."""

    def extract_cookies(self, response: httpx.Response) -> None:
        pass


def _without_cookies(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client._cookies = _NoCookies()  # the `cookies` setter would copy it into a plain Cookies
    return client


def _check(pattern: re.Pattern[str], value: object, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(f"Not a valid Higgsfield {what}: {str(value)[:80]!r}")
    return value


class HiggsfieldClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
        max_connections: int = 200,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        base = httpx.URL(base_url)
        if base.scheme not in ("http", "https") or not base.host:
            raise ConfigError(f"Higgsfield base URL must be http(s)://host, got {base_url[:80]!r}")
        # api_key may already be "id:secret" (the HF_KEY form) with an empty api_secret.
        credentials = f"{api_key}:{api_secret}" if api_secret else api_key
        if not api_key or ":" not in credentials or any(c.isspace() for c in credentials):
            raise ConfigError(
                "Higgsfield API credentials are missing or malformed.",
                hint="Check [higgsfield] api_key/api_secret in the config, or HF_KEY.",
            )
        self._redact = Redactor((api_key, api_secret, credentials, credentials.split(":", 1)[1]))
        self._origin = (base.scheme, base.host, base.port)
        self._retry = retry
        self._sleep = sleep  # between retries; tests pass a clock that records the waits
        http_timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=min(max_connections, 50))
        headers = {"Authorization": f"Key {credentials}", "User-Agent": USER_AGENT,
                   "Accept": "application/json"}
        self._api = _without_cookies(httpx.AsyncClient(
            base_url=str(base).rstrip("/"), headers=headers, timeout=http_timeout, limits=limits,
            transport=transport or default_transport(limits)))
        # No auth here: presigned upload URLs and result files live on other hosts.
        self._files = _without_cookies(httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT}, timeout=http_timeout, limits=limits,
            transport=transport or default_transport(limits)))

    def __repr__(self) -> str:
        return f"HiggsfieldClient(base_url={str(self._api.base_url)!r})"

    async def __aenter__(self) -> HiggsfieldClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._api.aclose()
        await self._files.aclose()

    # --- the API -----------------------------------------------------------------------

    async def submit(
        self,
        application: str,
        arguments: dict,
        *,
        idempotency_key: str,
        webhook_url: str | None = None,
    ) -> RequestStatus:
        """Start a (billable) generation. Repeated on 429/5xx/network errors with the same
        Idempotency-Key, which the server deduplicates; never on other 4xx."""
        _check(_APPLICATION, application, "application id")
        _check(_IDEMPOTENCY_KEY, idempotency_key, "Idempotency-Key")
        if not isinstance(arguments, dict):
            raise InvalidInput("Higgsfield arguments must be a JSON object.")
        response = await self._request(
            "POST", f"/{application}", json=arguments,
            params={"hf_webhook": webhook_url} if webhook_url else None,  # URL-encoded by httpx
            headers={"Idempotency-Key": idempotency_key}, retry_on=SUBMIT_RETRY_STATUSES,
        )
        result = self._parse_status(response)
        logger.debug("submitted %s as request %s (correlation id %s)", application,
                     result.request_id, response.headers.get("x-correlation-id"))
        return result

    async def status(self, request_id: str, status_url: str | None = None) -> RequestStatus:
        return await self._fetch_status(request_id, status_url, attempts=None)

    async def cancel(self, request_id: str, cancel_url: str | None = None) -> bool:
        """True if the queued request was canceled; False if it already started (HTTP 400)."""
        path = f"/requests/{_check(_REQUEST_ID, request_id, 'request id')}/cancel"
        response = await self._request("POST", self._server_url(cancel_url, path), accept={400})
        if response.status_code == 400:
            logger.debug("request %s could not be canceled (correlation id %s)", request_id,
                         response.headers.get("x-correlation-id"))
            return False
        return True

    async def upload(self, data: bytes, content_type: str) -> str:
        """Upload an input file through a presigned URL; returns its public URL."""
        response = await self._request("POST", "/files/generate-upload-url",
                                       json={"content_type": content_type})
        body = json_object(response)
        upload_url, public_url = body.get("upload_url"), body.get("public_url")
        if not (isinstance(upload_url, str) and upload_url.startswith(("https://", "http://"))
                and isinstance(public_url, str) and public_url):
            raise malformed(response, "no upload_url/public_url")
        given = body.get("upload_headers")
        # exactly the presigned headers; only Content-Type if the server gave none
        headers = ({str(k): str(v) for k, v in given.items()} if isinstance(given, dict) and given
                   else {"Content-Type": content_type})

        async def put() -> httpx.Response:
            return await self._files.put(upload_url, content=data, headers=headers)

        response = await self._retrying(put, RETRY_STATUSES, "upload PUT")
        if not response.is_success:
            raise error_from_response(response, api=False, redact=self._redact)
        return public_url

    async def download(self, url: str, dest: Path, *, max_bytes: int, attempts: int | None = None) -> int:
        """Stream a result file to ``dest`` (via a ``.part`` file); returns bytes written.
        Raises HiggsfieldError for HTTP and network faults and for a body that is not a whole
        image, OSError for storage faults; either way no ``.part`` file is left behind, and the
        ones a dead process left are removed first. ``attempts=1``: the caller runs the retries."""
        dest = Path(dest)
        part: Path | None = None  # unique and locked per call: two processes may fetch one file
        fh = None
        written = 0

        def too_large() -> DownloadTooLarge:
            return DownloadTooLarge(f"The result file is larger than the limit of {max_bytes} bytes.")

        async def fetch() -> httpx.Response:
            nonlocal written, part, fh
            written = 0
            async with self._files.stream("GET", url, follow_redirects=True) as response:
                if not response.is_success:
                    return response  # body left unread; the error is mapped from the status
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise too_large()
                # open/close/rename touch the directory and can stall for milliseconds;
                # chunk writes only fill the page cache, so they stay on the loop.
                if fh is None:
                    part, fh = await asyncio.to_thread(open_part, dest)
                fh.seek(0)
                fh.truncate()
                async for chunk in response.aiter_bytes(CHUNK_SIZE):
                    written += len(chunk)
                    if written > max_bytes:
                        raise too_large()
                    fh.write(chunk)
                fh.flush()
                return response

        def prepare() -> None:
            dest.parent.mkdir(parents=True, exist_ok=True)
            remove_orphans(dest)

        def keep() -> str | None:
            """A gateway's error page sent as 200, or a body that ends early but cleanly, is
            not the image: it is fetched again, never stored in its place."""
            problem = whole_image_problem(part)
            if problem is None:
                durable_replace(fh, part, dest)  # still locked: no sweep takes it
                tidy(dest)
            return problem

        try:
            await asyncio.to_thread(prepare)
            response = await self._retrying(fetch, RETRY_STATUSES, "download", attempts)
            if not response.is_success:
                raise error_from_response(response, api=False, redact=self._redact)
            problem = await asyncio.to_thread(keep)
            if problem is not None:
                kind = response.headers.get("content-type", "no content type")
                raise HiggsfieldServerError(
                    f"The result file is not a whole image ({problem}; {written} bytes of {kind}).",
                    status_code=response.status_code)
            part = None
        finally:
            if part is not None:
                try:
                    part.unlink(missing_ok=True)
                    tidy(dest)
                except OSError as exc:  # keep the original error; say what is left behind
                    logger.warning("could not remove the partial file %s: %s", part, exc.strerror or exc)
            if fh is not None:  # unlocks; its data was flushed before any rename
                with contextlib.suppress(OSError):
                    await asyncio.to_thread(fh.close)
        return written

    async def poll(
        self,
        request_id: str,
        *,
        status_url: str | None = None,
        policy: PollPolicy = PollPolicy(),
    ) -> AsyncIterator[RequestStatus]:
        """Yield the status each time it changes (the first always); stop after a terminal
        one. Transient failures are retried here; 401/404 and friends abort."""
        _check(_REQUEST_ID, request_id, "request id")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + policy.timeout
        delays = policy.delays()
        last: Status | None = None
        problem: HiggsfieldError | None = None
        while True:
            try:
                current = await self._fetch_status(request_id, status_url, attempts=1)
            except _TRANSIENT as exc:
                problem = exc
                logger.info("polling %s: transient error, will retry: %s", request_id, exc)
            else:
                problem = None
                status_url = current.status_url or status_url
                if current.status != last:
                    last = current.status
                    logger.debug("request %s is %s", request_id, current.status)
                    yield current
                if current.status.terminal:
                    return
            remaining = deadline - loop.time()
            if remaining <= 0:
                because = f"; last error: {problem}" if problem else ""
                raise HiggsfieldTimeout(
                    f"Higgsfield request {request_id} did not finish within {policy.timeout:g} s "
                    f"(last status: {last or 'unknown'}{because}).",
                    hint="It may still finish; check its status again later.",
                )
            await asyncio.sleep(min(next(delays), remaining))

    # --- internals ---------------------------------------------------------------------

    async def _fetch_status(
        self, request_id: str, status_url: str | None, attempts: int | None
    ) -> RequestStatus:
        path = f"/requests/{_check(_REQUEST_ID, request_id, 'request id')}/status"
        response = await self._request("GET", self._server_url(status_url, path), attempts=attempts)
        return self._parse_status(response)

    async def _request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        json: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        retry_on: Collection[int] = RETRY_STATUSES,
        accept: Collection[int] = (),
        attempts: int | None = None,
    ) -> httpx.Response:
        """The one door to the API. Returns a 2xx (or an ``accept``-ed) response, else raises."""

        target = (_parsed(url) or url) if isinstance(url, str) else url

        async def send() -> httpx.Response:
            done = timed_higgsfield(method, str(getattr(target, "path", target)))
            try:
                response = await self._api.request(method, target, json=json, params=params, headers=headers)
            except Exception as exc:
                done(type(exc).__name__)
                raise
            done(str(response.status_code))
            return response

        try:
            response = await self._retrying(send, retry_on, f"{method} {url}", attempts)
        except HiggsfieldError as exc:
            HIGGSFIELD_ERRORS.labels(exc.code).inc()
            raise
        logger.debug("%s %s -> %s (correlation id %s)", method, response.request.url.path,
                     response.status_code, response.headers.get("x-correlation-id"))
        if response.is_success or response.status_code in accept:
            return response
        error = error_from_response(response, redact=self._redact)
        HIGGSFIELD_ERRORS.labels(error.code).inc()
        raise error

    async def _retrying(
        self, send: Callable[[], Awaitable[httpx.Response]], retry_on: Collection[int],
        what: str, attempts: int | None = None,
    ) -> httpx.Response:
        return await send_with_retries(send, self._retry, retry_on=retry_on, what=what,
                                       attempts=attempts, redact=self._redact, sleep=self._sleep)

    def _server_url(self, url: str | None, fallback: str) -> str | httpx.URL:
        """Follow a server-given status/cancel URL if it points at Higgsfield (or at our own
        base URL's origin); anything else would receive our key, so build the path instead."""
        if url:
            u = _parsed(url)
            if u is not None and u.is_absolute_url and (
                (u.scheme, u.host, u.port) == self._origin
                or (u.scheme == "https" and (u.host == "higgsfield.ai" or u.host.endswith(".higgsfield.ai")))
            ):
                return u
            logger.debug("ignoring untrusted server URL, using %s", fallback)
        return fallback

    def _parse_status(self, response: httpx.Response) -> RequestStatus:
        try:
            return RequestStatus.from_json(json_object(response))
        except HiggsfieldServerError as exc:
            exc.status_code = response.status_code
            exc.correlation_id = response.headers.get("x-correlation-id")
            raise
