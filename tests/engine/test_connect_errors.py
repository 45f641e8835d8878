"""A refused connection is "cannot connect to HOST", not a timeout, whichever transport
carries the request; a server that accepts and never answers is still a timeout."""

from __future__ import annotations

import socket

import httpx
import pytest

from higgsctl.cli import exit_codes
from higgsctl.engine.errors import HiggsfieldNetworkError, HiggsfieldTimeout
from higgsctl.engine.higgsfield import HiggsfieldClient
from higgsctl.engine.higgsfield.retry import RetryPolicy

RID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
TRANSPORTS = {
    "aiohttp (default)": lambda: None,
    "httpx": lambda: httpx.AsyncHTTPTransport(),
}


@pytest.fixture
def closed_port():
    """A port that is bound but not listening: connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def _client(port: int, transport, timeout: float = 5.0) -> HiggsfieldClient:
    return HiggsfieldClient(f"http://127.0.0.1:{port}", "key-id", "key-secret", timeout=timeout,
                            retry=RetryPolicy(max_attempts=2, base_delay=0, max_delay=0), transport=transport)


@pytest.mark.parametrize("transport", TRANSPORTS.values(), ids=TRANSPORTS.keys())
@pytest.mark.parametrize("call", ["status", "submit", "cancel"])
async def test_refused_connection_is_cannot_connect(closed_port, transport, call):
    client = _client(closed_port, transport())
    try:
        with pytest.raises(HiggsfieldNetworkError) as caught:
            if call == "status":
                await client.status(RID)
            elif call == "submit":
                await client.submit("nano-banana", {"prompt": "p"}, idempotency_key="k")
            else:
                await client.cancel(RID)
    finally:
        await client.aclose()
    error = caught.value
    assert not isinstance(error, HiggsfieldTimeout)
    assert error.message == f"Cannot connect to 127.0.0.1:{closed_port}: Connection refused."
    assert error.retryable and exit_codes.for_error(error) == exit_codes.API
    assert "key-secret" not in error.message + (error.hint or "")


@pytest.mark.parametrize("transport", TRANSPORTS.values(), ids=TRANSPORTS.keys())
async def test_a_server_that_never_answers_is_a_timeout(silent_port, transport):
    client = _client(silent_port, transport(), timeout=0.3)
    try:
        with pytest.raises(HiggsfieldTimeout, match="Timed out"):
            await client.status(RID)
    finally:
        await client.aclose()
