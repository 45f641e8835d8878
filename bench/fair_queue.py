"""Benchmark: the fair queue with the account's limit at 4 and a backlog of 100 jobs from 20
users (one with 40, ten with one each, nine with five or six), all held at once, the heavy
user's burst first.

The sandbox runs in a child process (the remote Higgsfield API, over real loopback HTTP) with
the account's concurrency limit at 4; this process runs the real engine on a fresh SQLite
file, polling every 0.25 s. Measured in this process on one clock:
- gap: a status poll seeing a request completed → the next submit call (the freed slot's
  next job: woken inside the release, reload, claim, submit). Target: median ≤ 50 ms.
- order: did every single-job user reach Higgsfield before the heavy user's 5th job?
- position-update lag, on the engine's events: the queue renumbering a job → that job's
  IN_LINE event reaching the sink (the bot's Progress.on_event), for every change and for
  the changes that cross a step of the bot's schedule (1, 2, 3, 5, 8, 13...). The bot then
  draws a crossed step within LINE_EDIT_EVERY (1 s) of its previous edit, plus the Bot API.
- estimates: |eta − the actual wait| at each step crossing, once something was measured.

With ``--bot`` the same backlog is run by the real bot against the Telegram Bot API
emulator (bench/fair_queue_bot.py), and the lag is measured where users see it: a step
crossed in the queue → the emulator receiving the edit that shows it (target ≤ 2 s).

    .venv/bin/python -m bench.fair_queue [--service-time 1.0] [--bot]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

from bench.generations import free_port, wait_until_up

SANDBOX = """
import sys
from higgsctl.sandbox import SandboxOptions, serve
serve(SandboxOptions(service_time=float(sys.argv[2]), concurrency_limit=4, image_long_side=256), port=int(sys.argv[1]))
"""
HEAVY, SINGLES, SIXES, FIVES = 1, range(100, 110), range(200, 205), range(300, 304)


class Probe:
    """Timestamps from the client (completions seen, submits), the queue (renumbering) and
    the event sink (IN_LINE events, starts)."""

    def __init__(self, engine):
        self.completions: list[float] = []
        self.submits: list[tuple[float, int]] = []  # (time, user)
        self.changed: dict[int, tuple[int, float]] = {}  # generation -> (position, when the queue set it)
        self.lags: list[tuple[float, int, int]] = []  # (seconds, generation, position)
        self.estimates: list[tuple[int, float, float, int]] = []  # (generation, when, eta, position)
        self.started: dict[int, float] = {}
        self.busy = 0
        self._watch_client(engine.generations.client)
        self._watch_queue(engine.generations.slots)

    def _watch_client(self, client) -> None:
        from higgsctl.engine.higgsfield import Status as Upstream

        submit, status = client.submit, client.status

        async def timed_submit(application, arguments, **kw):
            self.submits.append((time.perf_counter(), int(arguments["prompt"].split()[1])))
            return await submit(application, arguments, **kw)

        async def timed_status(*args, **kw):
            answer = await status(*args, **kw)
            if answer.status is Upstream.COMPLETED:
                self.completions.append(time.perf_counter())
            return answer

        client.submit, client.status = timed_submit, timed_status

    def _watch_queue(self, queue) -> None:
        renumber = queue._renumber

        def timed_renumber():
            renumber()
            now = time.perf_counter()
            for ticket in queue.order():
                if self.changed.get(ticket.generation_id, (None,))[0] != ticket.position:
                    self.changed[ticket.generation_id] = (ticket.position, now)

        queue._renumber = timed_renumber

    def on_event(self, event) -> None:
        from higgsctl.engine.events import ACCOUNT_BUSY, IN_LINE

        now = time.perf_counter()
        if event.code == IN_LINE:
            position, changed = self.changed[event.generation_id]
            if position == event.position:  # else it moved again before its job ran: a later event follows
                self.lags.append((now - changed, event.generation_id, event.position))
            if event.eta is not None:
                self.estimates.append((event.generation_id, now, event.eta, event.position))
        elif event.code == ACCOUNT_BUSY:
            self.busy += 1
        if event.status == "queued":
            self.started.setdefault(event.generation_id, now)


def backlog() -> list[int]:
    """Users in the order their jobs arrive: the heavy burst, then everyone else shuffled."""
    others = [*SINGLES, *[u for u in SIXES for _ in range(6)], *[u for u in FIVES for _ in range(5)]]
    random.Random(10).shuffle(others)
    return [HEAVY] * 40 + others


def bench_settings(args):
    from higgsctl.engine import load_settings

    settings = load_settings()
    hf = replace(settings.higgsfield, base_url=args.url, api_key="sandbox", api_secret="sandbox-secret",
                 max_concurrent=4, poll_initial=0.25, poll_max=0.25, generation_timeout=600)
    return replace(settings, higgsfield=hf)


async def run(args) -> tuple[Probe, float, list]:
    from higgsctl.engine import GenerationRequest
    from higgsctl.launch import open_engine

    async with open_engine(bench_settings(args)) as engine:
        users = backlog()
        for user in set(users):
            engine.users.register(user)
        held = [(await engine.generations.create(GenerationRequest(u, "nano-banana", f"user {u}", "1:1")), u)
                for u in users]
        probe = Probe(engine)
        start = time.perf_counter()
        finals = await asyncio.gather(*(engine.generations.execute(g.id, probe.on_event) for g, _ in held))
        wall = time.perf_counter() - start
        assert engine.credits.discrepancies() == []
    return probe, wall, [(g.status, g.user_id, g.id) for g in finals]


def report(args, probe: Probe, wall: float, finals: list) -> None:
    from higgsctl.bot.progress import line_step

    ms = [1000 * (s - c) for (s, _), c in zip(probe.submits[4:], probe.completions)]
    heavy_fifth = [i for i, (_, u) in enumerate(probe.submits) if u == HEAVY][4]
    singles_before = {u for _, u in probe.submits[:heavy_fifth] if u in SINGLES}
    last_single = max(i for i, (_, u) in enumerate(probe.submits) if u in SINGLES)
    lags = sorted(1000 * lag for lag, _, _ in probe.lags)
    shown: dict[int, tuple] = {}  # generation -> the step its status line shows
    step_lags = []
    for lag, generation, position in probe.lags:  # the events that change what the bot draws
        if shown.get(generation) != line_step(position):
            shown[generation] = line_step(position)
            step_lags.append(1000 * lag)
    step_lags.sort()
    errors = [abs(eta - (probe.started[g] - when)) for g, when, eta, position in probe.estimates
              if line_step(position)[0] == "exact" and g in probe.started]
    completed = sum(status == "completed" for status, _, _ in finals)
    print(f"jobs                        {len(finals)} from 20 users ({completed} completed), account limit 4")
    print(f"service time                {args.service_time:.2f} s; wall {wall:.1f} s "
          f"(ideal {len(finals) / 4 * args.service_time:.1f} s)")
    print(f"submits refused as busy     {probe.busy}")
    print(f"gap completion seen→submit  median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms "
          f"(n={len(ms)}; target median ≤ 50 ms)")
    print(f"single-job users first      {len(singles_before)}/{len(SINGLES)} started before the heavy user's 5th "
          f"(submit #{heavy_fifth + 1}; the last single was #{last_single + 1})")
    print(f"position events (engine)    {len(lags)}: lag median {statistics.median(lags):.2f} ms, "
          f"max {lags[-1]:.2f} ms (queue renumbered → IN_LINE event in the sink)")
    if step_lags:
        print(f"  crossing a step           {len(step_lags)}: lag median {statistics.median(step_lags):.2f} ms, "
              f"max {step_lags[-1]:.2f} ms")
    if errors:
        print(f"estimate error at steps     median {statistics.median(errors):.1f} s, max {max(errors):.1f} s "
              f"(n={len(errors)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service-time", type=float, default=1.0)
    parser.add_argument("--bot", action="store_true", help="run the backlog through the bot and the Bot API emulator")
    args = parser.parse_args()
    os.environ["HIGGSCTL_HOME"] = tempfile.mkdtemp(prefix="higgsctl-bench-")
    port = free_port()
    args.url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", SANDBOX, str(port), str(args.service_time)])
    try:
        wait_until_up(args.url)
        if args.bot:
            from bench.fair_queue_bot import run_bot

            asyncio.run(run_bot(args, backlog(), bench_settings(args)))
            return
        probe, wall, finals = asyncio.run(run(args))
    finally:
        server.terminate()
        server.wait(10)
    report(args, probe, wall, finals)


if __name__ == "__main__":
    main()
