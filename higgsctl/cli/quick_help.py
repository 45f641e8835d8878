"""`higgsctl --help` without importing Typer (most of the start-up time): the root's help
drawn from commands.py the way click draws it — the same wrapping, columns and shortening
at every terminal width (a test compares the two at many widths)."""

from __future__ import annotations

import shutil
import textwrap

from .commands import COMMANDS, EPILOG, HELP, MAX_WIDTH, OPTIONS

USAGE = "Usage: higgsctl [OPTIONS] COMMAND [ARGS]..."
INDENT = "  "


def root_help() -> str:
    width = max(min(shutil.get_terminal_size().columns, MAX_WIDTH) - 2, 50)
    commands_column = width - 6 - max(map(len, COMMANDS))
    commands = [(name, short_help(lazy.help, commands_column)) for name, lazy in COMMANDS.items()]
    return "\n".join([
        USAGE, "", _paragraph(HELP, width), "",
        "Options:", *_definitions(OPTIONS, width), "",
        "Commands:", *_definitions(commands, width), "",
        _paragraph(EPILOG, width),
    ]) + "\n"


def _paragraph(text: str, width: int) -> str:
    return textwrap.fill(text, width, initial_indent=INDENT, subsequent_indent=INDENT, replace_whitespace=False)


def _definitions(rows, width: int, col_max: int = 30, spacing: int = 2) -> list[str]:
    """click's HelpFormatter.write_dl, inside one level of indentation."""
    first = min(max(len(term) for term, _ in rows), col_max) + spacing
    lines = []
    for term, text in rows:
        wrapped = textwrap.wrap(text, max(width - first - 2, 10), replace_whitespace=False) or [""]
        if len(term) <= first - spacing:
            lines.append(f"{INDENT}{term}{' ' * (first - len(term))}{wrapped[0]}")
        else:
            lines += [f"{INDENT}{term}", f"{' ' * (first + len(INDENT))}{wrapped[0]}"]
        lines += [f"{' ' * (first + len(INDENT))}{line}" for line in wrapped[1:]]
    return lines


def short_help(text: str, limit: int) -> str:
    """click's make_default_short_help: the first sentence if it fits, else words up to
    ``limit`` characters ending in "..."."""
    words = text.split()
    total = 0
    for i, word in enumerate(words):
        total += len(word) + (i > 0)
        if total > limit:
            break
        if word.endswith("."):
            return " ".join(words[:i + 1])
        if total == limit and i != len(words) - 1:
            break
    else:
        return " ".join(words)
    total += 3
    while i > 0:
        total -= len(words[i]) + (i > 0)
        if total <= limit:
            break
        i -= 1
    return " ".join(words[:i]) + "..."
