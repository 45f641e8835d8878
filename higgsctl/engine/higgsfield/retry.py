"""The retry policies and the one retry loop; errors are mapped in :mod:`.errors_map`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass

import httpx

from higgsctl.engine.backoff import Backoff
from higgsctl.engine.redaction import Redactor

from .errors_map import NO_SECRETS, error_from_transport, retry_after

logger = logging.getLogger("higgsctl.higgsfield")

#: Statuses worth another attempt for calls that are safe to repeat.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: The billable submit is only repeated (with the same Idempotency-Key) on these.
SUBMIT_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter; a server's Retry-After wins, up to
    ``max_retry_after`` seconds ([higgsfield] max_retry_after)."""

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or min(self.base_delay, self.max_delay, self.max_retry_after) < 0:
            raise ValueError("RetryPolicy needs max_attempts >= 1 and non-negative delays")

    @property
    def schedule(self) -> Backoff:
        return Backoff(self.base_delay, self.max_delay, full_jitter=True)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.schedule.delay(attempt)


@dataclass(frozen=True)
class PollPolicy:
    """Status polling: ``initial`` × ``factor`` up to ``maximum`` plus 0..``jitter`` s,
    for at most ``timeout`` s overall. A fixed interval is initial == maximum, jitter 0."""

    initial: float = 2.0
    factor: float = 1.5
    maximum: float = 10.0
    jitter: float = 0.5
    timeout: float = 300.0

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial or self.factor < 1:
            raise ValueError("PollPolicy needs 0 <= initial <= maximum and factor >= 1")
        if self.jitter < 0 or self.timeout <= 0:
            raise ValueError("PollPolicy needs jitter >= 0 and timeout > 0")

    def delays(self) -> Iterator[float]:
        return iter(Backoff(self.initial, self.maximum, self.factor, spread=self.jitter))


async def send_with_retries(
    send: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy,
    *,
    retry_on: Collection[int],
    what: str,
    attempts: int | None = None,
    redact: Redactor = NO_SECRETS,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> httpx.Response:
    """Run ``send`` with backoff on transport errors and ``retry_on`` statuses. Returns the
    last response (the caller maps an error status) or raises the mapped transport error."""
    limit = attempts or policy.max_attempts
    for attempt in range(1, limit + 1):
        try:
            response = await send()
        except (httpx.TransportError, httpx.DecodingError) as exc:
            retryable = isinstance(exc, httpx.TransportError) and not isinstance(
                exc, httpx.UnsupportedProtocol
            )
            mapped = error_from_transport(exc, redact=redact)
            if not retryable or attempt == limit:
                raise mapped from exc
            reason, delay = mapped.message, policy.backoff(attempt)
        else:
            if response.status_code not in retry_on or attempt == limit:
                return response
            reason = f"HTTP {response.status_code}"
            delay = policy.backoff(attempt, retry_after(response))
        logger.info("Higgsfield %s failed (%s); attempt %d/%d, retrying in %.2f s",
                    what.split("?")[0], reason, attempt, limit, delay)
        await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
