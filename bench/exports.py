"""How fast `higgsctl export` streams, and how much memory it holds, on a big database.

Seeds 10,000 users and 100,000 generations (bench/tui_screens.py's seed) into a temporary
SQLite database, then exports each kind as CSV and as JSON to a file, reporting rows, seconds,
rows per second, the file size and the peak of Python memory allocated while exporting
(tracemalloc, on a second, untimed run): streaming means that peak stays flat as the table
grows.

    python -m bench.exports [--users N] [--generations N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--generations", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        os.environ["HIGGSCTL_HOME"] = home
        from higgsctl.engine import Engine, ExportOptions, load_settings

        from .tui_screens import seed

        engine = Engine(load_settings())
        seed(engine, args.users, args.generations)
        print(f"seeded {args.users:,} users and {args.generations:,} generations")
        for kind in ("users", "generations", "ledger"):
            for fmt in ("csv", "json"):
                path = Path(home) / f"{kind}.{fmt}"
                started = time.perf_counter()
                rows = engine.exports.write_file(ExportOptions(kind, fmt), path, actor="bench")
                seconds = time.perf_counter() - started
                tracemalloc.start()  # a second run, traced (tracing slows it: not timed)
                engine.exports.write_file(ExportOptions(kind, fmt), path, actor="bench")
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                print(f"  {kind:<12} {fmt:<5} {rows:>8,} rows  {seconds:6.2f} s  {rows / seconds:>9,.0f} rows/s  "
                      f"{path.stat().st_size / 1e6:7.1f} MB file  peak {peak / 1e6:5.1f} MB")
        engine.close()


if __name__ == "__main__":
    main()
