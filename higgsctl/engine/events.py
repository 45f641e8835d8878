"""What a running generation reports, and the statuses it moves through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

ACTIVE = ("pending", "uploading", "queued", "in_progress", "downloading")
TERMINAL = ("completed", "failed", "nsfw", "canceled", "timed_out")


@dataclass(frozen=True)
class JobEvent:
    generation_id: int
    status: str  # one of ACTIVE or TERMINAL
    detail: str | None = None

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


EventHandler = Callable[[JobEvent], Awaitable[None] | None]
