"""The `higgsctl` command line. One module per command group; each command parses its
arguments, calls the engine and renders the result. Heavy imports (the engine, rich,
asyncio machinery) happen inside the commands, and a command's module is imported only
when that command runs (see lazy.py); `higgsctl --help` itself is answered before Typer is
imported (quick_help.py), so it starts fast. The Typer app is root.py's ``app``."""

from __future__ import annotations

import sys

from .commands import COMMANDS

__all__ = ["COMMANDS", "app", "main"]


def main() -> None:
    if sys.argv[1:] in (["--help"], ["-h"]):
        from .quick_help import root_help

        sys.stdout.write(root_help())
        return
    from .root import app

    app(prog_name="higgsctl")


def __getattr__(name: str):
    if name == "app":  # imported on first use: it brings Typer
        from .root import app

        return app
    raise AttributeError(name)
