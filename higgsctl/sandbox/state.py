"""Request bookkeeping for the sandbox: records, time-based statuses, uploads, idempotency.

Nothing here runs in the background. A request's status is a pure function of the clock, the
service time captured at submit and its fault, so thousands of jobs cost nothing while they wait.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

ACTIVE = ("queued", "in_progress")
TERMINAL = ("completed", "failed", "nsfw", "canceled")
WEBHOOK_STATUSES = ("completed", "failed", "nsfw")
QUEUED_SHARE = 0.3
UPLOAD_TTL = 3600.0

# Faults that shape the outcome, and faults that only disturb the HTTP exchange.
# result_gone: the request completes but its files answer 410 (deleted after retention).
FAULTS = ("nsfw", "failed", "credits", "concurrency", "server_error", "slow", "malformed", "timeout",
          "unauthorized", "result_gone")

UPLOAD_TYPES = {
    "image/jpeg": "jpeg", "image/jpg": "jpg", "image/png": "png", "image/webp": "webp",
    "image/gif": "gif", "audio/wav": "wav", "audio/x-wav": "wav", "video/mp4": "mp4",
}


@dataclass
class SandboxStats:
    submit_attempts: int = 0
    submits: int = 0
    replays: int = 0
    status_calls: Counter = field(default_factory=Counter)
    cancels: int = 0
    uploads: int = 0
    downloads: int = 0
    webhook_attempts: int = 0
    webhook_deliveries: int = 0
    peak_active: int = 0  # the most requests queued or in progress at once (the account's limit at work)

    @property
    def total_status_calls(self) -> int:
        return sum(self.status_calls.values())


@dataclass
class RequestRecord:
    request_id: str
    application: str
    body: dict[str, Any]
    base_url: str
    created: float
    service_time: float
    fault: str | None = None
    webhook: str | None = None
    idempotency_key: str | None = None
    forced: str | None = None  # set by cancel or set_status; wins over the clock
    status_calls: int = 0
    webhook_event: asyncio.Event | None = None
    webhook_delivered: bool = False
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    @property
    def status(self) -> str:
        return self.status_at(self.clock())

    @property
    def prompt(self) -> str:
        return self.body["prompt"]

    @property
    def aspect_ratio(self) -> str:
        return self.body.get("aspect_ratio") or "auto"

    @property
    def num_images(self) -> int:
        return self.body.get("num_images", 1)

    def status_at(self, now: float) -> str:
        if self.forced:
            return self.forced
        elapsed = now - self.created
        if elapsed < QUEUED_SHARE * self.service_time:
            return "queued"
        if elapsed < self.service_time or self.fault == "timeout":
            return "in_progress"
        return {"nsfw": "nsfw", "failed": "failed"}.get(self.fault or "", "completed")

    def seconds_to_terminal(self, now: float) -> float | None:
        """Seconds until the clock alone makes this request terminal; None if it never will."""
        if self.forced or self.fault == "timeout":
            return None
        return max(0.0, self.created + self.service_time - now)

    def status_object(self, now: float) -> dict[str, Any]:
        status = self.status_at(now)
        base = f"{self.base_url}/requests/{self.request_id}"
        data: dict[str, Any] = {
            "status": status, "request_id": self.request_id,
            "status_url": f"{base}/status", "cancel_url": f"{base}/cancel",
        }
        if status == "completed":
            data["images"] = [
                {"url": f"{self.base_url}/results/{self.request_id}/{n}.png", "content_type": "image/png"}
                for n in range(self.num_images)
            ]
        elif status == "failed":
            data["error"] = "Generation failed"
        return data


@dataclass
class Upload:
    token: str
    content_type: str
    ext: str
    created: float
    data: bytes | None = None


def fingerprint(application: str, body: dict[str, Any], webhook: str | None) -> str:
    """What makes two submissions 'the same' for Idempotency-Key: key order does not count."""
    return json.dumps([application, body, webhook], sort_keys=True, separators=(",", ":"))


class SandboxState:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.requests: dict[str, RequestRecord] = {}
        self.uploads: dict[str, Upload] = {}
        self.stats = SandboxStats()
        self.idempotency: dict[str, tuple[str, str]] = {}  # key -> (fingerprint, request_id)
        self._active: set[str] = set()
        self._failed_once: set[tuple[str, str]] = set()  # (what, id) already failed by a fault
        self._failures: Counter = Counter()  # (what, id) -> times failed by a counted fault

    # --- requests -------------------------------------------------------------------
    def add(self, application: str, body: dict[str, Any], *, base_url: str, service_time: float,
            fault: str | None, webhook: str | None, idempotency_key: str | None,
            key_fingerprint: str) -> RequestRecord:
        record = RequestRecord(
            request_id=str(uuid.uuid4()), application=application, body=body, base_url=base_url,
            created=self.clock(), service_time=service_time, fault=fault, webhook=webhook,
            idempotency_key=idempotency_key, clock=self.clock,
        )
        self.requests[record.request_id] = record
        self._active.add(record.request_id)
        self.stats.peak_active = max(self.stats.peak_active, self.active_count())
        if idempotency_key is not None:
            self.idempotency[idempotency_key] = (key_fingerprint, record.request_id)
        self.stats.submits += 1
        return record

    def get(self, request_id: str) -> RequestRecord | None:
        try:
            request_id = str(uuid.UUID(request_id))
        except ValueError:
            return None
        return self.requests.get(request_id)

    def active_count(self) -> int:
        """queued + in_progress right now; terminal ids are pruned as a side effect."""
        now = self.clock()
        done = {rid for rid in self._active if self.requests[rid].status_at(now) not in ACTIVE}
        self._active -= done
        return len(self._active)

    def status(self, record: RequestRecord) -> str:
        return record.status_at(self.clock())

    def status_object(self, record: RequestRecord) -> dict[str, Any]:
        return record.status_object(self.clock())

    def force(self, record: RequestRecord, status: str) -> None:
        record.forced = status
        if record.webhook_event is not None:
            record.webhook_event.set()

    def complete_now(self, record: RequestRecord) -> None:
        """Move the clock of one request to its end: it becomes terminal per its fault."""
        record.created = self.clock() - record.service_time
        if record.webhook_event is not None:
            record.webhook_event.set()

    def fail_once(self, what: str, ident: str) -> bool:
        """True the first time (what, ident) is seen: deterministic 'fail the first attempt'."""
        if (what, ident) in self._failed_once:
            return False
        self._failed_once.add((what, ident))
        return True

    def fail_times(self, what: str, ident: str, times: int) -> bool:
        """True for the first ``times`` calls with (what, ident): 'fail the first N attempts'."""
        if self._failures[what, ident] >= times:
            return False
        self._failures[what, ident] += 1
        return True

    # --- uploads --------------------------------------------------------------------
    def new_upload(self, content_type: str) -> Upload:
        upload = Upload(uuid.uuid4().hex, content_type, UPLOAD_TYPES[content_type], self.clock())
        self.uploads[upload.token] = upload
        return upload

    def upload_expired(self, upload: Upload) -> bool:
        return self.clock() - upload.created > UPLOAD_TTL
