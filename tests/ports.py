"""A free TCP port on loopback, for a server a test starts itself (webhook receivers,
/metrics). The tiny window before the server binds it is acceptable on a test machine."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
