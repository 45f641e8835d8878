"""The one backoff of every retry loop: HTTP retries, submit, polling, downloads, delivery."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

_MAX_DOUBLINGS = 64  # base × factor**n overflows a float for the long download retries


@dataclass(frozen=True)
class Backoff:
    """``base`` × ``factor``^(attempt-1), capped at ``cap`` seconds, then jittered:
    ``full_jitter`` draws from 0..that delay (retrying clients spread apart); ``spread`` adds
    0..``spread`` s (polling keeps its rhythm). Neither: a fixed, predictable delay."""

    base: float
    cap: float
    factor: float = 2.0
    full_jitter: bool = False
    spread: float = 0.0

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0 or self.factor < 1 or self.spread < 0:
            raise ValueError("Backoff needs base, cap, spread >= 0 and factor >= 1")

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        exponent = min(max(attempt - 1, 0), _MAX_DOUBLINGS)
        ceiling = min(self.cap, self.base * self.factor**exponent)
        if self.full_jitter:
            ceiling = random.uniform(0.0, ceiling)
        return ceiling + (random.uniform(0.0, self.spread) if self.spread else 0.0)

    def __iter__(self) -> Iterator[float]:
        attempt = 1
        while True:
            yield self.delay(attempt)
            attempt += 1
