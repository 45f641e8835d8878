"""How long a model's generation holds an account slot, measured: the queue's estimates.

Kept in the database without a table of its own: every completed generation row already
holds its ``submitted_at`` and ``finished_at``, so a process starts from the newest of those
(one bounded query, ``recent_service_times``), then adds the slot times it measures itself
(slot granted → completed upstream). The typical time is the median of the newest samples:
one stuck download or a resumed job does not skew it.
"""

from __future__ import annotations

import statistics
from collections import deque

from peewee import fn

from ..events import Status
from ..models import Generation

SAMPLES = 20  # per model
SCAN = 2000  # newest generation ids read at start-up (an index range on (status, id))


class ServiceTimes:
    def __init__(self, samples: int = SAMPLES) -> None:
        self.samples = samples
        self._by_model: dict[str, deque[float]] = {}

    def record(self, model: str, seconds: float) -> None:
        self._by_model.setdefault(model, deque(maxlen=self.samples)).append(seconds)

    def seed(self, measured: dict[str, list[float]]) -> None:
        """Older measurements (from the database) behind the ones taken since."""
        for model, seconds in measured.items():
            mine = list(self._by_model.get(model, ()))
            self._by_model[model] = deque([*seconds, *mine][-self.samples:], maxlen=self.samples)

    def typical(self, model: str) -> float | None:
        seconds = self._by_model.get(model)
        return statistics.median(seconds) if seconds else None


def recent_service_times(samples: int = SAMPLES) -> dict[str, list[float]]:
    """Submit → finish of the newest completed generations per model, oldest first
    (synchronous: run it through the database door)."""
    newest = Generation.select(fn.MAX(Generation.id)).scalar()
    if newest is None:
        return {}
    rows = (Generation.select(Generation.model, Generation.submitted_at, Generation.finished_at)
            .where((Generation.status == Status.COMPLETED) & (Generation.id > newest - SCAN)
                   & Generation.submitted_at.is_null(False) & Generation.finished_at.is_null(False))
            .order_by(Generation.id.desc()).tuples())
    measured: dict[str, list[float]] = {}
    for model, submitted, finished in rows:
        seconds = measured.setdefault(model, [])
        if len(seconds) < samples:
            seconds.append(max(0.0, (finished - submitted).total_seconds()))
    return {model: seconds[::-1] for model, seconds in measured.items()}
