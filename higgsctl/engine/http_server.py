"""A small HTTP/1.1 server on asyncio for the few endpoints a process serves itself (metrics
and health, Higgsfield's webhooks): one request per connection, bounded head and body, a
deadline per request, no thread. Routes are ``(method, path) -> handler(body, headers)``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Awaitable, Callable

log = logging.getLogger("higgsctl.http")

Reply = tuple[int, str, bytes]  # status, content type, body
Handler = Callable[[bytes, dict[str, str]], Awaitable[Reply]]
REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
           405: "Method Not Allowed", 413: "Payload Too Large", 500: "Internal Server Error",
           503: "Service Unavailable"}
HEAD_LIMIT = 8192


def text(status: int, message: str) -> Reply:
    return status, "text/plain; charset=utf-8", f"{message}\n".encode()


class TinyServer:
    def __init__(self, routes: dict[tuple[str, str], Handler], host: str, port: int, *,
                 max_body: int = 1 << 20, deadline: float = 10.0, name: str = "http") -> None:
        self.routes, self.host, self.port = routes, host, port
        self.max_body, self.deadline, self.name = max_body, deadline, name
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, limit=HEAD_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]  # when 0 was asked for (tests)
        log.info("%s listening on %s:%d", self.name, self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(self.deadline):
                status, ctype, body = await self._answer(reader)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError,
                UnicodeDecodeError):
            status, ctype, body = text(400, "bad request")
        except Exception:
            log.exception("%s request failed", self.name)
            status, ctype, body = text(500, "internal error")
        with contextlib.suppress(ConnectionError):
            writer.write(f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
                         f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, str, bytes]:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *header_lines = head[:-4].split("\r\n")
        method, target, _version = request_line.split(" ")
        headers = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError("malformed header")
            headers[name.strip().lower()] = value.strip()
        path = target.split("?", 1)[0]
        handler = self.routes.get((method, path))
        if handler is None:
            known = any(p == path for _, p in self.routes)
            return text(405, "method not allowed") if known else text(404, "not found")
        length = int(headers.get("content-length", "0") or "0")
        if length < 0:
            raise ValueError("negative length")
        if length > self.max_body:
            return text(413, "body too large")
        body = await reader.readexactly(length) if length else b""
        return await handler(body, headers)
