"""`higgsctl worker`: run generations without serving Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated

import typer

from . import render
from .context import load_settings


def worker(
    jobs: Annotated[int, typer.Option("--jobs", "-j", metavar="N", min=1, help="Jobs this worker drives at once (the account's limit still holds across every process).")] = 100,
) -> None:
    """Run generations without serving Telegram, until Ctrl-C or SIGTERM.

    A worker takes the jobs no live process drives: those queued with `higgsctl generate
    --queue`, and those a bot, CLI or worker left when it died (once their lease runs out) or
    stopped. Run several, on one or more machines sharing the database (and, across machines,
    [storage] url): the account's concurrency limit is counted in the database. Stopping hands
    the jobs back to the others.

    \b
    Examples:
      higgsctl worker
      HIGGSCTL_DATABASE_URL=postgresql://... higgsctl worker --jobs 50
    """
    settings = load_settings(log_to_file=True)
    from higgsctl.engine.logs import setup_logging

    setup_logging(settings)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_work(settings, jobs))
    render.note("Worker stopped; its jobs were handed back.")


async def _work(settings, jobs: int) -> None:
    from higgsctl.engine.generations.worker import Worker
    from higgsctl.engine.leases import process_name
    from higgsctl.launch import open_engine

    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stopped.set)
    async with open_engine(settings) as engine:  # (no --sandbox: a worker takes real jobs from the database)
        engine.generations.leases.owner = process_name("worker", unique=True)
        metrics = None
        if engine.settings.observability.metrics_port:  # /metrics, /healthz, /readyz, as the bot serves them
            from higgsctl.engine.metrics_server import MetricsServer

            o = engine.settings.observability
            metrics = MetricsServer(engine, o.metrics_host, o.metrics_port)
            await metrics.start()
        try:
            await Worker(engine.generations, capacity=jobs).run(stopped)
        finally:
            if metrics is not None:
                await metrics.stop()
