"""Waiting on a condition (a database fact, a message, a counter) instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio


async def eventually(predicate, timeout: float = 10.0, what: str = "condition") -> None:
    """Wait until ``predicate()`` holds; checks every 20 ms; TimeoutError after ``timeout`` s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} not met within {timeout} s")
        await asyncio.sleep(0.02)
