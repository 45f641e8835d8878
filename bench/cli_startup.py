"""Benchmark: how long `higgsctl --help` takes to start, against a bare interpreter.

Each command runs as a fresh process, wall time from spawn to exit, output discarded. The
commands take turns (one run of each, then again), so a burst of load on a shared machine
hits them all alike; the median of the runs is what counts. Bytecode is cached as on an
installed system: PYTHONDONTWRITEBYTECODE, if set, is dropped for the children (else every
run compiles higgsctl's sources), and the cache goes to a temporary folder, not the tree
(--env-as-is measures with the environment unchanged).

    .venv/bin/python -m bench.cli_startup --runs 21   (from the repository root)
Target (issue 9): `higgsctl --help` within 3x `python -c pass`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def higgsctl() -> list[str]:
    """The installed console script next to this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("higgsctl")
    if script.exists():
        return [str(script)]
    found = shutil.which("higgsctl")
    return [found] if found else [sys.executable, "-c", "from higgsctl.cli import main; main()"]


def commands() -> dict[str, list[str]]:
    cli = higgsctl()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "higgsctl --help": [*cli, "--help"],
        "higgsctl credits --help": [*cli, "credits", "--help"],
        "higgsctl generate --help": [*cli, "generate", "--help"],
    }


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - start


def child_env(bytecode_cache: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode_cache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode_cache
    return env


def measure(todo: dict[str, list[str]], runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    for argv in todo.values():  # warm the file cache and the bytecode cache first
        wall(argv, env)
    times: dict[str, list[float]] = {name: [] for name in todo}
    for _ in range(runs):
        for name, argv in todo.items():
            times[name].append(wall(argv, env))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs of each command (default 21)")
    parser.add_argument("--env-as-is", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if set")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="higgsctl-bench-pyc-") as cache:
        times = measure(commands(), args.runs, child_env(None if args.env_as_is else cache))
    base = statistics.median(times["python -c pass"])
    cached = "as the environment has it" if args.env_as_is else "cached"
    print(f"{args.runs} runs each, wall time of a fresh process (median, min, max); bytecode {cached}:")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"  {name:<26} {median * 1000:6.1f} ms  (min {min(runs) * 1000:5.1f}, max {max(runs) * 1000:6.1f})"
              f"  {median / base:4.2f}x python -c pass")


if __name__ == "__main__":
    main()
