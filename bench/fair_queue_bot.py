"""The bot side of bench/fair_queue.py (``--bot``): the same backlog run by the real bot
(start_bot, AIORateLimiter, long polling) against the Telegram Bot API emulator in this
process, every job with its status message. Measured on one clock: the queue moving a job's
position across a step of the schedule → the emulator receiving the edit that shows it."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import replace

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"


class Edits:
    """Every edit the emulator applies: (chat, message) -> [(when, text)]."""

    def __init__(self, emu):
        self.by_message: dict[tuple[int, int], list[tuple[float, str]]] = {}
        apply = emu._apply_edit

        def stamped(msg, text, *args, **kw):
            self.by_message.setdefault((msg.chat_id, msg.message_id), []).append((time.perf_counter(), text or ""))
            return apply(msg, text, *args, **kw)

        emu._apply_edit = stamped


def watch_steps(queue, jobs: int) -> dict[int, list[tuple[float, tuple]]]:
    """generation -> [(when, step)]: its step once all ``jobs`` have joined (the first place
    shown), then each time the queue moved it across a step (and ("started", 0) when it left
    the line). While the jobs join, places shift by the millisecond: only the end counts."""
    from higgsctl.bot.progress import line_step

    crossings: dict[int, list[tuple[float, tuple]]] = {}
    renumber, join = queue._renumber, queue.join
    joined = 0

    def counted_join(*args, **kw):
        nonlocal joined
        joined += 1
        return join(*args, **kw)

    def timed_renumber():
        renumber()
        if joined < jobs:
            return
        now = time.perf_counter()
        waiting = {t.generation_id: line_step(t.position) for t in queue.order()}
        for ticket in queue.running:
            waiting.setdefault(ticket.generation_id, ("started", 0))
        for generation, step in waiting.items():
            steps = crossings.setdefault(generation, [])
            if steps and steps[-1][1] == ("started", 0):
                continue
            if not steps or steps[-1][1] != step:
                steps.append((now, step))

    queue.join, queue._renumber = counted_join, timed_renumber
    return crossings


def line_prefix(generation_id: int, step: tuple) -> str:
    """The status line of a step, without its estimate."""
    from higgsctl.bot.progress import Drawing, status_text

    return status_text("en", generation_id, Drawing("pending", "in_line", line=step)).removesuffix(".")


async def run_bot(args, users: list[int], settings) -> None:
    from higgsctl.bot.runner import start_bot, stop_bot
    from higgsctl.bot.tracking import Target
    from higgsctl.engine import GenerationRequest
    from higgsctl.launch import open_engine
    from tests.fakes.telegram_emulator import TelegramEmulator

    emu = TelegramEmulator(token=TOKEN)
    await emu.start()
    settings = replace(settings, telegram=replace(settings.telegram, token=TOKEN, api_base_url=emu.url))
    edits = Edits(emu)
    async with open_engine(settings) as engine:
        app = await start_bot(settings, engine, notifier_interval=5)
        services = app.bot_data["higgsctl"]
        for user in set(users):
            engine.users.register(user, language="en")
            emu.user(user)
        jobs = []
        for user in users:
            message = await app.bot.send_message(user, "…")
            [g] = await engine.generations.create_batch(GenerationRequest(
                user, "nano-banana", f"user {user}", "1:1", source="bot", chat_id=user,
                status_message_id=message.message_id))
            jobs.append(g)
        crossings = watch_steps(engine.generations.slots, len(jobs))

        start = time.perf_counter()
        for g in jobs:
            services.delivery.launch(g.id, Target(g.chat_id, g.status_message_id, "en"))
        while not all(r.delivered_at for r in [engine.generations.get(g.id) for g in jobs]):
            await asyncio.sleep(0.2)  # a bench, not a test: a coarse wait for the end is fine
        wall = time.perf_counter() - start
        await stop_bot(app)
    await emu.stop()

    lags, first, never = [], [], 0
    for g in jobs:
        shown = edits.by_message.get((g.chat_id, g.status_message_id), [])
        steps = crossings.get(g.id, [])
        if steps and steps[0][1] == ("started", 0):
            continue  # started at once: it never waited
        for i, (when, _) in enumerate(steps):
            # The first edit after the crossing that no longer shows an earlier step (it shows
            # this step, a later one when the queue moved on meanwhile, or the job started).
            older = tuple(line_prefix(g.id, step) for _, step in steps[:i])
            drawn = next((t for t, text in shown if t >= when and not (older and text.startswith(older))), None)
            if drawn is None:
                never += 1
            else:
                (lags if i else first).append(drawn - when)
    lags.sort()
    first.sort()
    total_edits = sum(len(v) for v in edits.by_message.values())
    print(f"bot                         {len(jobs)} status messages, {total_edits} edits in {wall:.1f} s "
          f"({total_edits / wall:.1f}/s, besides a photo and a file per job; the bot paces 30 calls/s)")
    print(f"first place shown (bot)     all {len(jobs)} jobs at once → each waiting job's first line: "
          f"median {statistics.median(first):.2f} s, max {first[-1]:.2f} s (one burst of first edits)")
    print(f"position-update lag (bot)   step crossed (or the line left) → the edit showing it at the emulator: "
          f"median {statistics.median(lags):.2f} s, p95 {lags[int(0.95 * (len(lags) - 1))]:.2f} s, "
          f"max {lags[-1]:.2f} s (n={len(lags)}; {sum(lag > 2 for lag in lags)} over 2 s; "
          f"{never} never drawn)")
