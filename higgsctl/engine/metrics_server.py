"""The observability endpoint a long-running process serves on ``[observability]
metrics_port``: ``/metrics`` (Prometheus text format: this process's counters and the
database's figures), ``/healthz`` (the process answers) and ``/readyz`` (the database and
Higgsfield answer; 503 when not). A few lines on asyncio: no thread, and the database work of a
scrape goes through the read side of the engine's door, off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .metrics import REGISTRY, DatabaseCollector

if TYPE_CHECKING:
    from .core import Engine

log = logging.getLogger("higgsctl.metrics")
READY_CACHE = 15.0  # seconds a Higgsfield reachability answer is reused
HEAD_LIMIT = 8192


class MetricsServer:
    def __init__(self, engine: Engine, host: str, port: int) -> None:
        self.engine, self.host, self.port = engine, host, port
        self.database = CollectorRegistry(auto_describe=True)
        self.database.register(DatabaseCollector(engine))
        self._server: asyncio.Server | None = None
        self._higgsfield: tuple[float, str] = (-READY_CACHE, "")

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]  # when 0 was asked for (tests)
        log.info("metrics on http://%s:%d/metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
                if len(head) > HEAD_LIMIT:
                    raise ValueError("request head too long")
                method, path, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
                status, ctype, body = await self._route(method, path.split("?", 1)[0])
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, TimeoutError):
            status, ctype, body = 400, "text/plain", b"bad request\n"
        except Exception:
            log.exception("metrics request failed")
            status, ctype, body = 500, "text/plain", b"internal error\n"
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
                  500: "Internal Server Error", 503: "Service Unavailable"}[status]
        with contextlib.suppress(ConnectionError):
            writer.write(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()

    async def _route(self, method: str, path: str) -> tuple[int, str, bytes]:
        if method != "GET":
            return 405, "text/plain", b"GET only\n"
        if path == "/metrics":
            process = generate_latest(REGISTRY)
            database = await self.engine.read_db(generate_latest, self.database)
            return 200, CONTENT_TYPE_LATEST, process + database
        if path == "/healthz":
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            checks = {"database": await self._database(), "higgsfield": await self._higgsfield_reachable()}
            ready = all(v == "ok" for v in checks.values())
            return (200 if ready else 503), "application/json", json.dumps(checks).encode() + b"\n"
        return 404, "text/plain", b"not found\n"

    async def _database(self) -> str:
        from .models import database

        try:
            await self.engine.read_db(lambda: database.obj.execute_sql("SELECT 1").fetchone())
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        return "ok"

    async def _higgsfield_reachable(self) -> str:
        """Any HTTP answer from the API's base URL counts (the key is not sent); cached."""
        checked_at, answer = self._higgsfield
        if time.monotonic() - checked_at < READY_CACHE:
            return answer
        try:
            async with httpx.AsyncClient(timeout=3.0) as client:
                await client.get(self.engine.settings.higgsfield.base_url)
            answer = "ok"
        except httpx.HTTPError as exc:
            answer = f"unreachable: {type(exc).__name__}"
        self._higgsfield = (time.monotonic(), answer)
        return answer
