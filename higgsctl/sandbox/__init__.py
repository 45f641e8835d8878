"""A Higgsfield-compatible HTTP server on loopback for tests, demos and benchmarks.

``async with Sandbox(SandboxOptions(service_time=0.3)) as sb:`` then point any client (ours or
the official SDK) at ``sb.base_url`` with ``Key sandbox:sandbox-secret``. Statuses follow the
clock; faults come from ``options.fault`` or a ``[sandbox:<fault>]`` marker in the prompt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

import aiohttp
from aiohttp import web

from .server import SandboxRoutes
from .state import FAULTS, TERMINAL, WEBHOOK_STATUSES, RequestRecord, SandboxState, SandboxStats

__all__ = ["AppSpec", "FAULTS", "Sandbox", "SandboxOptions", "SandboxStats", "serve"]

WEBHOOK_ATTEMPTS = 5
WEBHOOK_BACKOFF = 0.1  # doubles per attempt: 0.1, 0.2, 0.4, 0.8


@dataclass
class AppSpec:
    """What one application path accepts."""

    reference_field: str = "input_images"  # or "image_urls"
    max_references: int = 8
    aspect_ratios: tuple[str, ...] = ("auto", "1:1", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5",
                                      "16:9", "9:16", "21:9")


@dataclass
class SandboxOptions:
    key_id: str = "sandbox"
    key_secret: str = "sandbox-secret"
    service_time: float = 2.0
    concurrency_limit: int | None = 4
    fault: str | None = None
    image_long_side: int = 1024
    applications: dict[str, AppSpec] | None = None
    webhook_timeout: float = 10.0
    # Sign webhooks the Standard Webhooks way, as Higgsfield does, with each of these
    # "whsec_..." secrets (two during a rotation); none: unsigned, as in Higgsfield's older docs.
    webhook_secrets: tuple[str, ...] = ()
    # Each result file first answers 503 this many times, then drops the connection halfway
    # through the body this many times, then answers 200 with an HTML error page, then 200
    # with half the image and a clean end, before it is served (tests set them at runtime).
    result_failures: int = 0
    result_resets: int = 0
    result_html_pages: int = 0
    result_cut_short: int = 0

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown sandbox fault {self.fault!r}; known: {', '.join(FAULTS)}")


class Sandbox:
    def __init__(self, options: SandboxOptions | None = None, host: str = "127.0.0.1", port: int = 0,
                 *, access_log: bool = False) -> None:
        self.options = options or SandboxOptions()
        self.host = host
        self.port = port
        self.access_log = access_log
        self.base_url = ""
        self.default_spec = AppSpec()
        self.state = SandboxState()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def stats(self) -> SandboxStats:
        return self.state.stats

    @property
    def requests(self) -> dict[str, RequestRecord]:
        return self.state.requests

    async def start(self) -> str:
        app = SandboxRoutes(self).app()
        log = logging.getLogger("aiohttp.access") if self.access_log else None
        self._runner = web.AppRunner(app, access_log=log, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        self.port = self._runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}"
        self._session = aiohttp.ClientSession()
        return self.base_url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- test helpers -----------------------------------------------------------------
    def _record(self, request_id: str) -> RequestRecord:
        record = self.state.get(request_id)
        if record is None:
            raise KeyError(request_id)
        return record

    def complete_now(self, request_id: str) -> None:
        """Jump one request to the end of its service time (terminal per its fault)."""
        self.state.complete_now(self._record(request_id))

    def set_status(self, request_id: str, status: str) -> None:
        """Pin a request to any status ('queued' ... 'canceled'); the clock no longer moves it."""
        if status not in ("queued", "in_progress", *TERMINAL):
            raise ValueError(f"unknown status {status!r}")
        self.state.force(self._record(request_id), status)

    async def go_offline(self) -> None:
        """A network outage: stop listening (new connections are refused) and drop every open
        connection. Requests keep their state and their clock."""
        assert self._runner is not None and self._site is not None
        await self._site.stop()
        self._site = None
        server = self._runner.server
        for connection in server.connections if server is not None else ():
            connection.force_close()

    async def go_online(self) -> None:
        """End an outage: listen again on the same address."""
        assert self._runner is not None and self._site is None
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()

    # --- webhooks ---------------------------------------------------------------------
    def watch_webhook(self, record: RequestRecord) -> None:
        record.webhook_event = asyncio.Event()
        task = asyncio.create_task(self._webhook_job(record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _webhook_job(self, record: RequestRecord) -> None:
        assert record.webhook_event is not None
        while True:
            now = self.state.clock()
            status = record.status_at(now)
            if status in WEBHOOK_STATUSES:
                break
            if status == "canceled":
                return
            wait = record.seconds_to_terminal(now)
            record.webhook_event.clear()
            try:
                await asyncio.wait_for(record.webhook_event.wait(), None if wait is None else wait + 0.005)
            except TimeoutError:
                pass
        await self._deliver(record, self.state.status_object(record))

    async def _deliver(self, record: RequestRecord, payload: dict[str, Any]) -> None:
        """POST the status object; retry network errors and 5xx a few times, never 4xx."""
        assert self._session is not None and record.webhook is not None
        body = json.dumps(payload).encode()
        webhook_id = f"msg_{uuid.uuid4().hex}"  # the same on every redelivery
        timeout = aiohttp.ClientTimeout(total=self.options.webhook_timeout)
        for attempt in range(WEBHOOK_ATTEMPTS):
            self.stats.webhook_attempts += 1
            headers = {"Content-Type": "application/json", "webhook-id": webhook_id,
                       **self._signature(webhook_id, body)}
            try:
                async with self._session.post(record.webhook, data=body, headers=headers,
                                              timeout=timeout) as response:
                    if response.status < 300:
                        record.webhook_delivered = True
                        self.stats.webhook_deliveries += 1
                        return
                    if response.status < 500:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if attempt + 1 < WEBHOOK_ATTEMPTS:
                await asyncio.sleep(WEBHOOK_BACKOFF * 2 ** attempt)


    def _signature(self, webhook_id: str, body: bytes) -> dict[str, str]:
        if not self.options.webhook_secrets:
            return {}
        from standardwebhooks.webhooks import Webhook

        now = datetime.now(timezone.utc)
        signatures = " ".join(Webhook(secret).sign(webhook_id, now, body) for secret in self.options.webhook_secrets)
        return {"webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signatures}


def serve(options: SandboxOptions, host: str = "127.0.0.1", port: int = 8787, *,
          access_log: bool = False, on_ready: Callable[[str], None] | None = None) -> None:
    """Run a sandbox until Ctrl-C. Prints nothing; ``on_ready(base_url)`` runs once it is
    listening (port 0 picks a free port), so the caller announces a URL that answers."""

    async def main() -> None:
        async with Sandbox(options, host, port, access_log=access_log) as sandbox:
            if on_ready is not None:
                on_ready(sandbox.base_url)
            await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
