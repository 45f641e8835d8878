"""Prometheus metrics, all named ``higgsctl_...``.

Two kinds:
- counted where they happen, in this process: Higgsfield requests (latency, outcome, error
  type), Telegram Bot API calls (method, outcome, 429s), time spent in each stage of a job;
- read from the database when Prometheus scrapes (``DatabaseCollector``), so they are true
  across every process on the database and survive restarts: generations by model and
  status, the queue, slot use, credits held / captured / released.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from .events import ACTIVE, JobEvent, Status

if TYPE_CHECKING:
    from .core import Engine

REGISTRY = CollectorRegistry(auto_describe=True)  # this process's metrics (not the library's global one)

HIGGSFIELD_REQUESTS = Counter("higgsctl_higgsfield_requests", "Higgsfield API requests (every attempt)",
                              ["endpoint", "outcome"], registry=REGISTRY)
HIGGSFIELD_SECONDS = Histogram("higgsctl_higgsfield_request_seconds", "Higgsfield API request latency",
                               ["endpoint"], registry=REGISTRY,
                               buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
HIGGSFIELD_ERRORS = Counter("higgsctl_higgsfield_errors", "Higgsfield calls that ended in an error, by type",
                            ["type"], registry=REGISTRY)
TELEGRAM_CALLS = Counter("higgsctl_telegram_calls", "Telegram Bot API calls (every attempt)",
                         ["method", "outcome"], registry=REGISTRY)
TELEGRAM_RATE_LIMITED = Counter("higgsctl_telegram_rate_limited", "Bot API calls answered 429 (retried after)",
                                ["method"], registry=REGISTRY)
STAGE_SECONDS = Histogram("higgsctl_generation_stage_seconds", "Time a job spent in each status",
                          ["stage"], registry=REGISTRY,
                          buckets=(0.1, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600))


def higgsfield_endpoint(method: str, path: str) -> str:
    """A bounded label for a request: submit, status, cancel, upload, download or other."""
    if path.endswith("/status"):
        return "status"
    if path.endswith("/cancel"):
        return "cancel"
    if "upload" in path:
        return "upload"
    return "submit" if method == "POST" else "other"


def timed_higgsfield(method: str, path: str) -> Callable[[str], None]:
    """Start timing one attempt; call the result with its outcome (a status code or an error name)."""
    endpoint, started = higgsfield_endpoint(method, path), time.perf_counter()

    def done(outcome: str) -> None:
        HIGGSFIELD_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        HIGGSFIELD_REQUESTS.labels(endpoint, outcome).inc()

    return done


class StageTimer:
    """An event sink that times each job's stay in each status (per process)."""

    def __init__(self) -> None:
        self._since: dict[int, tuple[str, float]] = {}

    def __call__(self, event: JobEvent) -> None:
        now = time.monotonic()
        previous = self._since.get(event.generation_id)
        if previous is not None and previous[0] != event.status:
            STAGE_SECONDS.labels(previous[0]).observe(now - previous[1])
        if event.terminal:
            self._since.pop(event.generation_id, None)
        elif previous is None or previous[0] != event.status:
            self._since[event.generation_id] = (event.status, now)


class DatabaseCollector(Collector):
    """Figures read from the database at each scrape (through the read side of the door's
    connection; a scrape every 15 s costs a few grouped queries)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self):
        from peewee import fn

        from .models import Generation

        limit = self.engine.settings.higgsfield.max_concurrent
        generations = CounterMetricFamily("higgsctl_generations", "Generations by model and status (all processes)",
                                          labels=["model", "status"])
        queue = GaugeMetricFamily("higgsctl_queue_depth", "Open generations by status", labels=["status"])
        credits = CounterMetricFamily("higgsctl_credits", "Credits of generations by what became of them",
                                      labels=["charge"])
        held = GaugeMetricFamily("higgsctl_credits_held", "Credits held by running generations")
        rows = list(Generation.select(Generation.model, Generation.status, Generation.charge,
                                      fn.COUNT(Generation.id), fn.SUM(Generation.cost))
                    .group_by(Generation.model, Generation.status, Generation.charge).tuples())
        by_status: dict[str, int] = {}
        by_charge: dict[str, int] = {}
        per_model: dict[tuple[str, str], int] = {}
        for model, status, charge, count, cost in rows:
            per_model[(model, status)] = per_model.get((model, status), 0) + count
            by_status[status] = by_status.get(status, 0) + count
            by_charge[charge] = by_charge.get(charge, 0) + int(cost or 0)
        for (model, status), count in sorted(per_model.items()):
            generations.add_metric([model, status], count)
        for status in ACTIVE:
            queue.add_metric([status], by_status.get(status, 0))
        for charge in ("captured", "released"):
            credits.add_metric([charge], by_charge.get(charge, 0))
        held.add_metric([], by_charge.get("held", 0))
        in_use = sum(by_status.get(s, 0) for s in (Status.UPLOADING, Status.QUEUED, Status.IN_PROGRESS))
        slots = GaugeMetricFamily("higgsctl_slots", "The account's concurrency slots", labels=["state"])
        slots.add_metric(["in_use"], in_use)
        slots.add_metric(["limit"], limit)
        yield from (generations, queue, credits, held, slots)
