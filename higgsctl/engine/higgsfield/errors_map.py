"""The one function that turns an HTTP response or a transport failure into a typed error
(plus reading what a response says: its Retry-After, its error detail, its JSON body)."""

from __future__ import annotations

import email.utils
import json
import os
import time

import httpx

from higgsctl.engine.errors import (
    ConcurrencyLimitError,
    HiggsfieldAuthError,
    HiggsfieldCreditsError,
    HiggsfieldError,
    HiggsfieldNetworkError,
    HiggsfieldNotFound,
    HiggsfieldRateLimited,
    HiggsfieldServerError,
    HiggsfieldTimeout,
    HiggsfieldValidationError,
)
from higgsctl.engine.redaction import Redactor

MAX_MESSAGE = 300
NO_SECRETS = Redactor()  # still masks secret shapes (URL passwords, bot tokens)


def retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (delta-seconds or HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _render_detail(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # FastAPI validation errors: [{"loc": [...], "msg": ...}]
        parts = []
        for item in value:
            if isinstance(item, dict) and "msg" in item:
                loc = item.get("loc")
                where = ".".join(str(p) for p in loc) if isinstance(loc, (list, tuple)) else loc
                parts.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
            else:
                parts.append(_render_detail(item))
        return "; ".join(parts)
    if isinstance(value, dict) and isinstance(value.get("msg") or value.get("message"), str):
        return value.get("msg") or value["message"]
    return json.dumps(value, ensure_ascii=False, default=str)


def error_detail(response: httpx.Response) -> str:
    """The server's explanation: detail → details → message → error → raw text."""
    try:
        text = response.text
    except httpx.ResponseNotRead:  # a streamed error body we chose not to read
        return ""
    try:
        body = json.loads(text)
    except ValueError:
        return _shorten(text)
    if isinstance(body, dict):
        for key in ("detail", "details", "message", "error"):
            if body.get(key) not in (None, "", []):
                return _shorten(_render_detail(body[key]))
    return _shorten(text)


def error_from_response(
    response: httpx.Response, *, api: bool = True, redact: Redactor = NO_SECRETS
) -> HiggsfieldError:
    """Map a failed response to the error family. ``api=False`` is for presigned upload and
    result hosts, where 401/403 mean an expired or bad signature, not our account."""
    code = response.status_code
    detail = redact(error_detail(response))
    suffix = f": {detail}" if detail else ""
    extra = {"status_code": code, "correlation_id": response.headers.get("x-correlation-id")}
    later = "This is usually temporary; try again later."
    if code == 429:
        return HiggsfieldRateLimited(f"Higgsfield is rate limiting (HTTP 429){suffix}", later,
                                     retry_after=retry_after(response), **extra)
    if 500 <= code or code == 423:
        what = "The model is temporarily unavailable" if code == 423 else "Higgsfield server error"
        return HiggsfieldServerError(f"{what} (HTTP {code}){suffix}", later, **extra)
    if code == 408:
        return HiggsfieldTimeout(f"The server timed out (HTTP 408){suffix}", later, **extra)
    if code == 404:
        return HiggsfieldNotFound(f"Not found on Higgsfield (HTTP 404){suffix}", **extra)
    if not api:
        return HiggsfieldError(f"The file host refused the transfer (HTTP {code}){suffix}", **extra)
    if code == 401:
        return HiggsfieldAuthError(
            f"Higgsfield rejected the API credentials (HTTP 401){suffix}",
            "Check [higgsfield] api_key/api_secret in the config, or HF_KEY.",
            **extra,
        )
    if code in (402, 403):
        return HiggsfieldCreditsError(
            f"The Higgsfield account has insufficient credits (HTTP {code}){suffix}",
            "Top up the Higgsfield account.",
            **extra,
        )
    if code == 400 and "concurrent" in detail.lower():
        return ConcurrencyLimitError(
            f"Higgsfield concurrency limit reached (HTTP 400){suffix}",
            "Wait for a running generation to finish, then try again.",
            **extra,
        )
    if code in (400, 422):
        return HiggsfieldValidationError(
            f"Higgsfield rejected the request (HTTP {code}){suffix}", **extra
        )
    return HiggsfieldError(f"Unexpected response from Higgsfield (HTTP {code}){suffix}", **extra)


def error_from_transport(exc: httpx.RequestError, *, redact: Redactor = NO_SECRETS) -> HiggsfieldError:
    """Map an httpx transport failure (no response at all)."""
    reason = redact(_shorten(str(exc) or type(exc).__name__))
    refused = _connect_failure(exc)
    if refused is not None:
        return HiggsfieldNetworkError(
            f"Cannot connect to {_host(exc)}: {redact(refused)}.",
            "Check the network connection and the Higgsfield base URL (HIGGSCTL_BASE_URL, [higgsfield] base_url).",
        )
    if isinstance(exc, httpx.TimeoutException):
        return HiggsfieldTimeout(
            f"Timed out talking to Higgsfield ({type(exc).__name__}): {reason}",
            "Check the network connection; the request may be retried.",
        )
    return HiggsfieldNetworkError(
        f"Network error talking to Higgsfield ({type(exc).__name__}): {reason}",
        "Check the network connection and the Higgsfield base URL.",
    )


def _connect_failure(exc: httpx.RequestError) -> str | None:
    """Why no connection could be made (refused, unreachable, unknown host), or None if this
    is not that. httpx-aiohttp reports aiohttp's refused connection as ConnectTimeout, so
    the causes decide: an OSError that is not a timeout means the connection failed."""
    if not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return None
    found = None
    cause, depth = exc.__cause__ or exc.__context__, 0
    while cause is not None and depth < 8:  # the innermost OSError says it best
        os_error = getattr(cause, "os_error", cause)
        if isinstance(os_error, TimeoutError):
            return None
        if isinstance(os_error, OSError):
            found = os_error
        cause, depth = cause.__cause__ or cause.__context__, depth + 1
    if found is not None:
        if isinstance(found.errno, int) and found.errno > 0:  # "Connection refused", not asyncio's wording
            return os.strerror(found.errno)
        return found.strerror or str(found) or "connection failed"
    return (_shorten(str(exc)) or "connection failed") if isinstance(exc, httpx.ConnectError) else None


def _host(exc: httpx.RequestError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised without a request
        return "Higgsfield"
    return f"{url.host}:{url.port}" if url.port else url.host


def malformed(response: httpx.Response, what: str) -> HiggsfieldServerError:
    return HiggsfieldServerError(
        f"Higgsfield sent a malformed response (HTTP {response.status_code}): {what}.",
        hint="This is usually transient; try again later.",
        status_code=response.status_code,
        correlation_id=response.headers.get("x-correlation-id"),
    )


def json_object(response: httpx.Response) -> dict:
    """The body as a JSON object, or a (transient) HiggsfieldServerError."""
    try:
        body = response.json()
    except ValueError:
        raise malformed(response, "body is not JSON") from None
    if not isinstance(body, dict):
        raise malformed(response, "body is not a JSON object")
    return body
