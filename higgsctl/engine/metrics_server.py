"""The observability endpoint a long-running process serves on ``[observability]
metrics_port``: ``/metrics`` (Prometheus text format: this process's counters and the
database's figures), ``/healthz`` (the process answers) and ``/readyz`` (the database and
Higgsfield answer; 503 when not), on http_server.TinyServer; the database work of a scrape goes
through the read side of the engine's door, off the event loop."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

import httpx
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from .http_server import Reply, TinyServer, text
from .metrics import REGISTRY, DatabaseCollector

if TYPE_CHECKING:
    from .core import Engine

log = logging.getLogger("higgsctl.metrics")
READY_CACHE = 15.0  # seconds a Higgsfield reachability answer is reused


class MetricsServer:
    def __init__(self, engine: Engine, host: str, port: int) -> None:
        self.engine = engine
        self.database = CollectorRegistry(auto_describe=True)
        self.database.register(DatabaseCollector(engine))
        self._higgsfield: tuple[float, str] = (-READY_CACHE, "")
        self.server = TinyServer({("GET", "/metrics"): self.metrics, ("GET", "/healthz"): self.healthz,
                                  ("GET", "/readyz"): self.readyz}, host, port, max_body=0, name="metrics")

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def metrics(self, body: bytes, headers: dict[str, str]) -> Reply:
        process = generate_latest(REGISTRY)
        database = await self.engine.read_db(generate_latest, self.database)
        return 200, CONTENT_TYPE_LATEST, process + database

    async def healthz(self, body: bytes, headers: dict[str, str]) -> Reply:
        return text(200, "ok")

    async def readyz(self, body: bytes, headers: dict[str, str]) -> Reply:
        checks = {"database": await self._database(), "higgsfield": await self._higgsfield_reachable()}
        ready = all(v == "ok" for v in checks.values())
        return (200 if ready else 503), "application/json", json.dumps(checks).encode() + b"\n"

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
