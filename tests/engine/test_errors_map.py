"""The one mapping from an HTTP status or a transport failure to a typed error, the codes of
the error family, and the one backoff every retry loop uses."""

from __future__ import annotations

import inspect

import httpx
import pytest

from higgsctl.engine import errors
from higgsctl.engine.backoff import Backoff
from higgsctl.engine.errors import (
    ConcurrencyLimitError, HiggsctlError, HiggsfieldAuthError, HiggsfieldCreditsError, HiggsfieldError,
    HiggsfieldNetworkError, HiggsfieldNotFound, HiggsfieldRateLimited, HiggsfieldServerError, HiggsfieldTimeout,
    HiggsfieldValidationError,
)
from higgsctl.engine.higgsfield import PollPolicy, RetryPolicy
from higgsctl.engine.higgsfield.errors_map import error_from_response, error_from_transport

URL = "https://platform.higgsfield.ai/requests/r-1/status"


def expected(status: int, *, api: bool, detail: str) -> type[HiggsfieldError]:
    if status == 429:
        return HiggsfieldRateLimited
    if status >= 500 or status == 423:
        return HiggsfieldServerError
    if status == 408:
        return HiggsfieldTimeout
    if status == 404:
        return HiggsfieldNotFound
    if not api:
        return HiggsfieldError
    if status == 401:
        return HiggsfieldAuthError
    if status in (402, 403):
        return HiggsfieldCreditsError
    if status == 400 and "concurrent" in detail:
        return ConcurrencyLimitError
    if status in (400, 422):
        return HiggsfieldValidationError
    return HiggsfieldError


@pytest.mark.parametrize("api", [True, False], ids=["api", "file host"])
@pytest.mark.parametrize("detail", ["bad", "Maximum number of concurrent requests (4) has been reached"])
def test_every_error_status_maps_to_its_typed_error(api, detail):
    for status in range(400, 600):
        response = httpx.Response(status, json={"detail": detail}, headers={"X-Correlation-ID": "c-9"},
                                  request=httpx.Request("GET", URL))
        error = error_from_response(response, api=api)
        assert type(error) is expected(status, api=api, detail=detail), status
        assert (error.status_code, error.correlation_id) == (status, "c-9")
        assert f"HTTP {status}" in error.message and detail in error.message
        assert error.retryable == (status in (408, 423, 429) or status >= 500 or type(error) is ConcurrencyLimitError)
        assert error.code.startswith("service_"), (status, error.code)


@pytest.mark.parametrize(("header", "seconds"), [("1", 1.0), ("30", 30.0), ("120", 120.0), ("0", 0.0),
                                                 ("soon", None), (None, None)])
def test_a_429_is_rate_limited_and_carries_its_retry_after(header, seconds):
    headers = {"Retry-After": header} if header is not None else {}
    error = error_from_response(httpx.Response(429, headers=headers))
    assert isinstance(error, HiggsfieldRateLimited) and isinstance(error, HiggsfieldServerError)
    assert (error.retry_after, error.code, error.retryable) == (seconds, "service_rate_limited", True)


def _transport_errors() -> list[type[httpx.TransportError]]:
    found, todo = [], [httpx.TransportError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__.startswith("httpx")]


@pytest.mark.parametrize("exc_type", _transport_errors(), ids=lambda cls: cls.__name__)
def test_every_transport_failure_maps_to_a_typed_retryable_error(exc_type):
    request = httpx.Request("GET", URL)
    error = error_from_transport(exc_type("trouble", request=request))
    if issubclass(exc_type, httpx.TimeoutException) and exc_type is not httpx.ConnectTimeout:
        assert type(error) is HiggsfieldTimeout and error.code == "service_timeout"
    elif exc_type is httpx.ConnectTimeout:  # no OSError beneath: a real timeout, not a refusal
        assert type(error) is HiggsfieldTimeout
    else:
        assert type(error) is HiggsfieldNetworkError and error.code == "service_unreachable"
    assert error.retryable and error.status_code is None


def test_every_engine_error_class_has_a_code_of_its_own():
    classes = [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, HiggsctlError)]
    assert len(classes) >= 17
    codes = {cls: cls.default_code for cls in classes}
    generic = {HiggsctlError: "error", HiggsfieldError: "service_error"}
    for cls, code in codes.items():
        assert code == generic.get(cls, code) and (cls in generic or code not in generic.values()), cls
        assert not hasattr(cls, "exit_code"), f"{cls.__name__}: exit codes belong to the CLI"
    assert len(set(codes.values())) == len(codes), "two classes share a code"


# --- the one backoff ----------------------------------------------------------------------

@pytest.mark.parametrize(("base", "cap", "factor"), [(0.5, 8.0, 2.0), (2.0, 10.0, 1.5), (5.0, 300.0, 2.0),
                                                     (1.0, 1.0, 1.0), (0.0, 0.0, 2.0)])
def test_backoff_stays_between_zero_and_its_cap_for_any_attempt(base, cap, factor):
    plain, jittered = Backoff(base, cap, factor), Backoff(base, cap, factor, full_jitter=True)
    spread = Backoff(base, cap, factor, spread=0.5)
    for attempt in [*range(1, 80), 1024, 1025, 5000, 10**6]:  # a 48 h download retry counts high
        ceiling = min(cap, base * factor ** min(attempt - 1, 64))
        assert plain.delay(attempt) == ceiling
        assert 0.0 <= jittered.delay(attempt) <= ceiling
        assert ceiling <= spread.delay(attempt) <= ceiling + 0.5
    assert [plain.delay(n) for n in range(1, 4)] == [min(cap, base), min(cap, base * factor), min(cap, base * factor**2)]


def test_http_retries_and_polling_take_their_delays_from_backoff():
    retry = RetryPolicy(base_delay=1.0, max_delay=8.0)
    assert retry.schedule == Backoff(1.0, 8.0, full_jitter=True)
    for attempt in (1, 2, 3, 4, 5000):
        assert 0.0 <= retry.backoff(attempt) <= min(8.0, 2.0 ** min(attempt - 1, 10))
    delays = PollPolicy(initial=2.0, factor=1.5, maximum=10.0, jitter=0).delays()
    expected_delays = [2.0, 3.0, 4.5, 6.75, 10.0, 10.0]
    assert [next(delays) for _ in range(6)] == expected_delays
    schedule = iter(Backoff(2.0, 10.0, 1.5))
    assert [next(schedule) for _ in range(6)] == expected_delays


@pytest.mark.parametrize("bad", [dict(base=-1, cap=1), dict(base=1, cap=-1), dict(base=1, cap=1, factor=0.5),
                                 dict(base=1, cap=1, spread=-0.1)])
def test_backoff_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        Backoff(**bad)


@pytest.mark.parametrize(("retry_after", "cap", "waited"), [(1.0, 60.0, 1.0), (30.0, 60.0, 30.0), (120.0, 60.0, 60.0),
                                                          (30.0, 10.0, 10.0), (0.0, 60.0, 0.0), (-5.0, 60.0, 0.0)])
def test_retry_after_is_honoured_up_to_the_cap(retry_after, cap, waited):
    assert RetryPolicy(max_retry_after=cap).backoff(1, retry_after) == waited
