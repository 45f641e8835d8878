"""Benchmark: N Telegram users each start one generation at the same moment.

Three processes, everything on 127.0.0.1:
- the Higgsfield sandbox in a child process (concurrency limit off, fixed service time);
- the bot in a child process exactly as `higgsctl bot run` starts it (the CLI → run_bot → the
  real PTB Application with AIORateLimiter, long-polling over HTTP), configured through a
  config.toml in a temporary HIGGSCTL_HOME (max_concurrent = users, polling every 0.25 s);
- this process: the Telegram Bot API emulator (tests/bot) and the scripted users.

All users drive the wizard concurrently up to the price/confirm screen; then, with the bot
idle, all press Confirm in the same instant (t0). Measured on CLOCK_MONOTONIC, which all
three processes share (Linux): wall = t0 → the last photo reaching the emulator; delay = a
job's completion at the sandbox (created + service_time) → its photo reaching the emulator
(the sendPhoto or editMessageMedia request fully received). It also counts the Bot API calls
per generation after Confirm, by method, and those paced by the rate limiter (with a chat_id).

    .venv/bin/python -m bench.bot_generations --users 200 --service-time 3   (from the repository root)
Targets (issue): wall/service < 1.5 and median delay < 0.5 s (200 users, 3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.generations import WEBHOOK_SECRET, free_port, wait_until_up

TOKEN = "123456:BENCH-token-abcdefghijklmnopqrstuvwxyz"
FIRST_USER = 10_000
TELEGRAM_RATE = 30  # bot/send_rate.py's TOTAL: requests with a chat_id per second, one bot process
# Which calls put a result's photo / file in the chat (the status message may become the photo)
ARRIVALS = {"sendPhoto": "photo", "editMessageMedia": "photo", "sendDocument": "document"}

# The sandbox, instrumented from outside: when a status poll first saw "completed" and when
# the result was first downloaded. On SIGTERM it dumps every request to a JSON file.
SANDBOX = r"""
import asyncio, json, signal, sys, time
from higgsctl.sandbox import Sandbox, SandboxOptions, server

port, service, px, out = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seen_done, first_get = {}, {}
_status, _result = server.SandboxRoutes.status, server.SandboxRoutes.get_result

async def status(self, request):
    response = await _status(self, request)
    record = self.state.get(request.match_info["request_id"])
    if record is not None and self.state.status(record) == "completed":
        seen_done.setdefault(record.request_id, time.monotonic())
    return response

async def get_result(self, request):
    first_get.setdefault(request.match_info["request_id"], time.monotonic())
    return await _result(self, request)

server.SandboxRoutes.status, server.SandboxRoutes.get_result = status, get_result

async def main():
    options = SandboxOptions(service_time=service, concurrency_limit=None, image_long_side=px,
                             webhook_secrets=tuple(sys.argv[5:]))
    async with Sandbox(options, port=port) as sb:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
        dump = {rid: {"created": r.created, "service_time": r.service_time, "status_calls": r.status_calls,
                      "seen_done": seen_done.get(rid), "first_get": first_get.get(rid)}
                for rid, r in sb.requests.items()}
        with open(out, "w") as f:
            json.dump(dump, f)

asyncio.run(main())
"""

# The bot: `higgsctl bot run` through the CLI entry point. --no-rate-limiter (diagnostic
# only, NOT the production set-up) drops the overall pace of bot/send_rate.py.
BOT = r"""
import sys
profile = sys.argv[2] if len(sys.argv) > 2 else None
if sys.argv[1] == "unlimited":  # PTB's limiter without our overall pace
    from higgsctl.bot import send_rate

    send_rate.SharedRateLimiter.process_request = send_rate.AIORateLimiter.process_request
sys.argv = ["higgsctl", "bot", "run"]
from higgsctl.cli import main
if profile:  # the event loop's thread, from SIGUSR1 (sent at Confirm) to the exit
    import cProfile, signal
    profiler = cProfile.Profile()
    signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
    try:
        main()
    finally:
        profiler.disable()
        profiler.dump_stats(profile)
else:
    main()
"""

CONFIG = """\
[telegram]
token = "{token}"
api_base_url = "{emulator}"
admin_ids = []

[higgsfield]
base_url = "{sandbox}"
api_key = "sandbox"
api_secret = "sandbox-secret"
max_concurrent = {users}
poll_initial = 0.25
poll_max = 0.25
generation_timeout = 120
"""


def proc_figures(pid: int) -> tuple[float, float]:
    """(peak RSS in MB, CPU seconds) of a live process, from /proc."""
    hwm = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return hwm, cpu


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stop_process(proc: subprocess.Popen, grace: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


async def stop_bot(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM (the bot stops cleanly, talking to the emulator meanwhile), then SIGKILL."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while proc.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    await asyncio.to_thread(proc.wait, 5)


class Observer:
    """Instruments the emulator instance: a per-chat index of bot messages with a wake-up
    event per chat (the emulator scans every message of every chat and wakes every waiter on
    each change, which is O(users²) for hundreds of users), arrival stamps of every Bot API
    call, and cached photo thumbnails (all results are the same picture; the emulator would
    re-render the same thumbnails on its event loop for each sendPhoto)."""

    def __init__(self, emu) -> None:
        from tests.fakes import emulator_media

        self.emu = emu
        self.index: dict[int, dict[int, object]] = defaultdict(dict)
        self.events: dict[int, asyncio.Event] = {}
        self.log: list[tuple[str, int | None, float, bool, str]] = []  # (method, chat, t, ok, text)
        self.arrivals: dict[str, dict[int, list[float]]] = {"photo": defaultdict(list),
                                                              "document": defaultdict(list)}
        self.expected = 0
        self.all_arrived = asyncio.Event()
        touch = emu._touch

        def indexed_touch(msg) -> None:
            touch(msg)
            self.index[msg.chat_id][msg.message_id] = msg
            event = self.events.pop(msg.chat_id, None)
            if event is not None:
                event.set()

        emu._touch = indexed_touch
        emu._chat_bot_messages = lambda chat_id: list(self.index.get(chat_id, {}).values())
        for key, (name, handler) in list(emu._methods.items()):
            emu._methods[key] = (name, self._stamped(name, handler))

        thumbnail, cache = emulator_media._thumbnail, {}

        def cached_thumbnail(data: bytes, side: int):
            key = (hashlib.sha1(data).digest(), side)
            if key not in cache:
                cache[key] = thumbnail(data, side)
            return cache[key]

        emulator_media._thumbnail = cached_thumbnail

    def _stamped(self, name: str, handler):
        async def stamped(params: dict):
            arrived = time.monotonic()
            chat = params.get("chat_id")
            try:
                result = await handler(params)
            except Exception:
                self.log.append((name, chat, arrived, False, ""))
                raise
            self.log.append((name, chat, arrived, True, str(params.get("text") or "")))
            if name in ARRIVALS:
                self.arrivals[ARRIVALS[name]][chat].append(arrived)
                if self.expected and all(len(self.arrivals[m]) >= self.expected for m in self.arrivals):
                    self.all_arrived.set()
            return result
        return stamped

    async def wait_text(self, user, substring: str, timeout: float) -> None:
        """Like EmulatedUser.wait_for_text (messages changed since the user's last action)."""
        loop = asyncio.get_running_loop()
        deadline, floor = loop.time() + timeout, user._cursor
        while True:
            changed = [m for m in self.index.get(user.chat_id, {}).values() if m.version > floor]
            if any(substring in (m.text or "") for m in changed):
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"user {user.id}: no {substring!r} within {timeout:.0f} s")
            event = self.events.setdefault(user.chat_id, asyncio.Event())
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass


async def to_confirm_screen(obs: Observer, user, prompt: str, timeout: float) -> None:
    """The wizard of tests/bot/test_e2e.generate, up to (not including) the Confirm press."""
    steps = [("text", "/start", "What would you like to do?"), ("press", "g", "Choose a model"),
             ("press", "m:nano-banana", "send the prompt"), ("text", prompt, "reference photos"),
             ("press", "sk", "aspect ratio"), ("press", "a:1:1", "Price: 50 credits")]
    for action, value, expect in steps:
        await (user.send_text(value) if action == "text" else user.press(value))
        await obs.wait_text(user, expect, timeout)


async def loop_lag(samples: list[float], stop: asyncio.Event) -> None:
    """How late this process's event loop (the emulator) wakes a 10 ms sleep."""
    while not stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.01)
        samples.append(time.monotonic() - before - 0.01)


async def run(args, home: Path, sandbox_url: str, bot_log: Path) -> dict:
    from tests.fakes.telegram_emulator import TelegramEmulator

    emu = TelegramEmulator(token=TOKEN)
    await emu.start()
    obs = Observer(emu)
    obs.expected = args.users
    users = [emu.user(FIRST_USER + i, f"User{i}", language_code="en") for i in range(args.users)]
    config = CONFIG.format(token=TOKEN, emulator=emu.url, sandbox=sandbox_url, users=args.users)
    if args.webhooks:  # push: the sandbox POSTs signed webhooks to the bot, which polls every 30 s
        hook = free_port()
        config = config.replace("[higgsfield]\n", f'[higgsfield]\nwebhook_url = "http://127.0.0.1:{hook}/hook"\n'
                                f'webhook_secret = "{WEBHOOK_SECRET}"\nwebhook_port = {hook}\nwebhook_poll = 30.0\n')
    (home / "config.toml").write_text(config)
    env = {**os.environ, "HIGGSCTL_HOME": str(home)}
    mode = "unlimited" if args.no_rate_limiter else "production"
    with open(bot_log, "w") as log:
        extra = [str(home / "bot.prof")] if args.profile else []
        bot = subprocess.Popen([sys.executable, "-c", BOT, mode, *extra], env=env, stdout=log, stderr=subprocess.STDOUT)
    out: dict = {"bot_pid": bot.pid}
    lag_stop, lag = asyncio.Event(), []
    try:
        deadline = time.monotonic() + 30
        while not any(name == "getUpdates" for name, *_ in obs.log):
            if bot.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the bot did not start polling; see {bot_log}")
            await asyncio.sleep(0.05)

        started = time.monotonic()
        step_timeout = 60 + args.users * 0.5
        await asyncio.gather(*(to_confirm_screen(obs, u, "benchmark scene", step_timeout) for u in users))
        out["wizard"] = time.monotonic() - started
        await asyncio.sleep(2.0)  # let the bot go idle (and AIORateLimiter's bucket drain)

        lag_task = asyncio.create_task(loop_lag(lag, lag_stop))
        calls_before = len(obs.log)
        if args.profile:
            os.kill(bot.pid, signal.SIGUSR1)
            await asyncio.sleep(0.2)
        own_cpu = time.process_time()
        t0 = time.monotonic()
        for user in users:  # no await in between: every press is enqueued in the same instant
            await user.press("go")
        out["t0"] = t0
        try:
            await asyncio.wait_for(obs.all_arrived.wait(), args.service_time + 60 + args.users * 1.0)
        except TimeoutError:
            out["timed_out"] = True
        out["t_end"] = time.monotonic()
        out["own_cpu"] = time.process_time() - own_cpu
        await asyncio.sleep(1.0)  # anything sent twice would arrive now
        lag_stop.set()
        await lag_task
        out["lag"] = lag
        out["calls"] = obs.log[calls_before:]
        out["all_calls"] = list(obs.log)
        out["arrivals"] = obs.arrivals
        out["kinds"] = {u.chat_id: Counter(m.kind for m in u.messages()) for u in users}
        if bot.poll() is None:
            out["bot_rss"], out["bot_cpu"] = proc_figures(bot.pid)
    finally:
        lag_stop.set()
        await stop_bot(bot)
        await emu.stop()
    out["bot_exit"] = bot.returncode
    return out


def jobs_from_db(home: Path) -> list:
    os.environ["HIGGSCTL_HOME"] = str(home)
    from higgsctl.engine import Engine, HistoryFilter, load_settings

    engine = Engine(load_settings())
    try:
        return engine.history.list(HistoryFilter(limit=100_000))
    finally:
        engine.close()


def report(args, out: dict, sandbox: dict, jobs: list, sandbox_cpu: float, bot_log: Path) -> None:
    t0, users, service = out["t0"], args.users, args.service_time
    photos = out["arrivals"]["photo"]
    documents = out["arrivals"]["document"]
    by_chat = {g.chat_id: g for g in jobs if g.chat_id is not None}
    delays, parts = [], defaultdict(list)
    for chat, g in by_chat.items():
        record = sandbox.get(g.request_id or "")
        if record is None or not photos.get(chat):
            continue
        done = record["created"] + record["service_time"]
        photo = photos[chat][0]
        delays.append(photo - done)
        parts["confirm → submitted at the sandbox"].append(record["created"] - t0)
        if record["seen_done"]:
            parts["completion → a status poll sees it"].append(record["seen_done"] - done)
        if record["seen_done"] and record["first_get"]:
            parts["  → result download starts"].append(record["first_get"] - record["seen_done"])
        if record["first_get"]:
            parts["  → photo at the emulator"].append(photo - record["first_get"])
        if documents.get(chat):
            parts["photo → document at the emulator"].append(documents[chat][0] - photo)
    last_photo = max((ts[0] for ts in photos.values()), default=float("nan"))
    wall = last_photo - t0
    calls = out["calls"]
    methods = Counter(name for name, *_ in calls)
    limited = sum(1 for name, chat, *_ in calls if chat is not None)
    errors = Counter((name) for name, _, _, ok, _ in calls if not ok)
    sends = sum(methods[m] for m in ("sendMessage", "sendPhoto", "sendDocument", "editMessageText",
                                     "editMessageMedia", "sendMediaGroup"))
    span = (max(t for _, _, t, *_ in calls) - t0) if calls else 0.0
    exact = sum(1 for kinds in out["kinds"].values() if kinds["photo"] == 1 and kinds["document"] == 1)
    completed = sum(1 for g in jobs if g.status == "completed")
    lag = out["lag"] or [0.0]

    print(f"users                {users} ({completed} completed{', TIMED OUT waiting' if out.get('timed_out') else ''})")
    print(f"rate limiter         {'OFF (diagnostic run, not the production set-up)' if args.no_rate_limiter else f'AIORateLimiter as in production ({TELEGRAM_RATE} req/s overall)'}")
    print(f"service time         {service:.2f} s")
    print("start                all users pressed Confirm in the same instant (first press = last press)")
    print(f"wall time            {wall:.2f} s   (Confirm → last photo at the emulator)")
    print(f"wall / service       {wall / service:.3f}   (target < 1.5)")
    if delays:
        print(f"delay median         {statistics.median(delays):.2f} s   (sandbox completion → photo at the emulator; target < 0.5)")
        print(f"delay p95            {pct(delays, 0.95):.2f} s   (max {max(delays):.2f} s)")
    print("where a job's time goes (median / p95, s):")
    for name, values in parts.items():
        print(f"  {name:36} {statistics.median(values):6.2f} / {pct(values, 0.95):6.2f}")
    print(f"Bot API calls        {len(calls)} after Confirm ({limited} with a chat_id, paced by the limiter) "
          f"over {span:.1f} s = {limited / span if span else 0:.1f}/s; {len(out['all_calls'])} in the whole run")
    print("  by method          " + ", ".join(f"{m} {n}" for m, n in methods.most_common() if m != "getUpdates"))
    print(f"messages sent        {sends} after Confirm (sends + edits), {sends / users:.1f} per user")
    print(f"calls per generation {limited / users:.2f} paced (with a chat_id) after Confirm (target <= 3), "
          f"{len(calls) / users:.2f} in all")
    paced = Counter(name for name, chat, *_ in calls if chat is not None)
    print("  paced, by method   " + ", ".join(f"{m} {n / users:.2f}" for m, n in paced.most_common()))
    if errors:
        print("  errors             " + ", ".join(f"{m} {n}" for m, n in errors.items()))
    if not args.no_rate_limiter:
        print(f"limiter floor        {limited / TELEGRAM_RATE:.1f} s to pass {limited} paced calls at {TELEGRAM_RATE}/s "
              f"({2 * users / TELEGRAM_RATE:.1f} s for the photos and documents alone)")
        # Best case under the limiter: the bucket (burst 30) is empty when all jobs complete and
        # nothing but the photos is sent; the k-th photo waits max(0, k - 30) / 30 s.
        best_wall = (service + max(0, users - TELEGRAM_RATE) / TELEGRAM_RATE) / service
        best_median = max(0.0, users / 2 - TELEGRAM_RATE) / TELEGRAM_RATE
        reachable = best_wall < 1.5 and best_median < 0.5
        print(f"best case at {TELEGRAM_RATE}/s    wall/service >= {best_wall:.2f}, median delay >= {best_median:.2f} s "
              f"(photos only, nothing else queued): targets {'reachable' if reachable else 'UNREACHABLE with production pacing'}")
    print(f"exactly 1 photo + 1 document: {exact} of {users} users")
    print(f"wizard (all users)   {out['wizard']:.1f} s to reach the confirm screen")
    if "bot_rss" in out:
        print(f"bot process          peak RSS {out['bot_rss']:.0f} MB, CPU {out['bot_cpu']:.1f} s (whole run)")
    print(f"sandbox CPU          {sandbox_cpu:.1f} s")
    print(f"this process CPU     {out['own_cpu']:.1f} s from Confirm to the last arrival (emulator + users)")
    print(f"emulator loop lag    p99 {pct(lag, 0.99) * 1000:.0f} ms, max {max(lag) * 1000:.0f} ms (this process)")
    if out.get("bot_exit") not in (0, None):
        print(f"bot exit code        {out['bot_exit']} (log: {bot_log})")


def print_profile(path: Path) -> None:
    """The bot's event-loop CPU from Confirm on, by package, and the costliest functions."""
    import pstats

    stats = pstats.Stats(str(path)).stats
    total = sum(tt for _, _, tt, _, _ in stats.values()) or 1.0
    by_package: Counter = Counter()
    for (file, _, _), (_, _, tt, _, _) in stats.items():
        parts = Path(file).parts
        if "site-packages" in parts:
            name = parts[parts.index("site-packages") + 1]
        elif "higgsctl" in parts:
            name = "higgsctl/" + "/".join(parts[parts.index("higgsctl") + 1:])
        elif file.startswith("~") or file.startswith("<"):
            name = "builtins (C)"
        else:
            name = "stdlib/" + Path(file).stem
        by_package[name] += tt
    print(f"bot event-loop CPU from Confirm on (cProfile, inflated by its overhead): {total:.1f} s")
    for name, tt in by_package.most_common(12):
        print(f"  {tt:6.2f} s {tt / total:5.1%}  {name}")
    print("  costliest functions (own time):")
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:12]
    for (file, line, func), (_, calls, tt, ct, _) in top:
        print(f"  {tt:6.2f} s  {calls:7d} calls  {func} ({Path(file).name}:{line})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--service-time", type=float, default=3.0)
    parser.add_argument("--image-px", type=int, default=1024, help="long side of the sandbox's result PNG")
    parser.add_argument("--webhooks", action="store_true", help="push (signed webhooks to the bot) instead of 0.25 s polling")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the bot's event-loop thread from Confirm on; prints where its CPU goes")
    parser.add_argument("--no-rate-limiter", action="store_true",
                        help="diagnostic: run the bot without AIORateLimiter's overall limit (not production)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="higgsctl-botbench-"))
    dump, bot_log = home / "sandbox.json", home / "bot.log"
    port = free_port()
    sandbox_url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen([sys.executable, "-c", SANDBOX, str(port), str(args.service_time),
                                str(args.image_px), str(dump), *([WEBHOOK_SECRET] if args.webhooks else [])],
                               stdin=subprocess.DEVNULL)
    sandbox_cpu = 0.0
    try:
        wait_until_up(sandbox_url)
        out = asyncio.run(run(args, home, sandbox_url, bot_log))
        sandbox_cpu = proc_figures(sandbox.pid)[1]
    finally:
        stop_process(sandbox, 10)
    records = json.loads(dump.read_text()) if dump.exists() else {}
    report(args, out, records, jobs_from_db(home), sandbox_cpu, bot_log)
    if args.profile and (home / "bot.prof").exists():
        print_profile(home / "bot.prof")
    print(f"files                {home}")


if __name__ == "__main__":
    main()
