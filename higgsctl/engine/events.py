"""What a running generation reports, and the statuses it moves through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Awaitable, Callable


class Status(StrEnum):
    """A generation's status (its row and JobEvent.status): the values are what the database
    and the JSON output hold."""

    PENDING = "pending"
    UPLOADING = "uploading"
    QUEUED = "queued"
    IN_PROGRESS = "in_progress"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    NSFW = "nsfw"
    CANCELED = "canceled"
    TIMED_OUT = "timed_out"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


class Charge(StrEnum):
    """What became of a generation's credits: held while it runs, then captured or released."""

    HELD = "held"
    CAPTURED = "captured"
    RELEASED = "released"
    REFUNDED = "refunded"  # captured, then given back by an admin (engine/refunds.py)


ACTIVE = (Status.PENDING, Status.UPLOADING, Status.QUEUED, Status.IN_PROGRESS, Status.DOWNLOADING)
TERMINAL = (Status.COMPLETED, Status.FAILED, Status.NSFW, Status.CANCELED, Status.TIMED_OUT)


# Why an active job is not moving (JobEvent.code), for faces to translate; detail is English.
LOCAL_SLOT = "local_slot"  # waiting for one of this process's submission slots
ACCOUNT_BUSY = "account_busy"  # Higgsfield refuses the submit: the account's concurrency limit
SERVICE_UNREACHABLE = "service_unreachable"  # 5xx, network errors, timeouts: retrying
DOWNLOAD_RETRY = "download_retry"  # the finished image could not be fetched yet: retrying
STORAGE_RETRY = "storage_retry"  # the finished image could not be stored (disk full, read-only): retrying
IN_LINE = "in_line"  # waiting for the account's slots in the fair queue: JobEvent.position and .eta say where


@dataclass(frozen=True)
class JobEvent:
    generation_id: int
    status: str  # a Status (one of ACTIVE or TERMINAL)
    detail: str | None = None  # English, for the CLI and logs
    code: str | None = None  # active: one of the codes above; terminal: the generation's error_code
    position: int | None = None  # IN_LINE: 1 = next to start
    eta: float | None = None  # IN_LINE: estimated seconds until it starts (None: no measurements yet)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


EventHandler = Callable[[JobEvent], Awaitable[None] | None]
