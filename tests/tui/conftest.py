"""TUI fixtures: a real SQLite database in the temp HIGGSCTL_HOME, seeded through the engine,
and helpers that wait on conditions instead of sleeping."""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass, field

import pytest
from rich.console import Console
from textual.notifications import Notify
from textual.worker import WorkerCancelled

from higgsctl.tui import AdminApp

SIZE = (100, 26)
ACTOR = "tui:ops"  # who the app acts as (in real use: tui:<OS user>[ as NAME])


@dataclass
class Seed:
    alice: int = 101
    bob: int = 102
    carol: int = 103
    completed: int = 0
    failed: int = 0
    active: int = 0
    bob_topup: int = 0
    carol_topup: int = 0
    result_file: str = "users/101/results/1-0.png"


def hold(engine, user_id: int, prompt: str, model: str = "nano-banana", cost: int = 50):
    return engine.generations.rows.hold(
        user_id, cost, model=model, prompt=prompt, aspect_ratio="1:1", idempotency_key=uuid.uuid4().hex
    )


@pytest.fixture
def add_generation(engine):
    return lambda user_id, prompt, **kw: hold(engine, user_id, prompt, **kw)


@pytest.fixture
def seed(engine) -> Seed:
    s = Seed()
    engine.users.register(s.alice, username="alice", first_name="Alice")
    engine.users.register(s.bob, username="bob", first_name="Bob")
    engine.users.register(s.carol, username="carol", first_name="Carol", last_name="Jones")
    s.completed = hold(engine, s.alice, "a lighthouse at dawn").id
    engine.generations.finish(s.completed, "completed", files=[s.result_file])
    s.failed = hold(engine, s.alice, "a broken robot", model="seedream-4.5").id
    engine.generations.finish(s.failed, "failed", error="upstream said no")
    s.active = hold(engine, s.bob, "a cat in a hat").id
    s.bob_topup = engine.topups.request(s.bob).id
    s.carol_topup = engine.topups.request(s.carol).id
    return s


@dataclass
class Harness:
    app: AdminApp
    pilot: object
    notes: list = field(default_factory=list)

    def errors(self) -> list[str]:
        return [n.message for n in self.notes if n.severity == "error"]

    async def settle(self) -> None:
        """Let running workers finish and their results reach the screen. A live refresh
        may supersede (cancel) a load while we wait; then wait for its successor."""
        for _ in range(2):
            for _ in range(20):
                try:
                    await self.app.workers.wait_for_complete()
                    break
                except WorkerCancelled:
                    continue
            await self.pilot.pause()

    async def until(self, predicate, timeout: float = 5.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await self.pilot.pause(0.02)

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)
        await self.settle()

    def text(self) -> str:
        """The current screen as plain text, as an admin would read it."""
        width, height = self.app.size
        console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None)
        console.print(self.app.screen._compositor.render_update(full=True, screen_stack=self.app._background_screens))
        return console.export_text()


@pytest.fixture
def tui(engine):
    """``async with tui() as h:`` runs the app headless against the test database."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def run(refresh_interval: float = 0, size=SIZE, notifications: bool = False):
        app = AdminApp(engine, refresh_interval=refresh_interval, actor=ACTOR)
        notes: list = []

        def hook(message):
            if isinstance(message, Notify):
                notes.append(message.notification)

        async with app.run_test(size=size, message_hook=hook, notifications=notifications) as pilot:
            h = Harness(app, pilot, notes)
            await h.settle()
            yield h

    return run
