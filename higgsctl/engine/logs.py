"""Logging set-up: every handler redacts (see redaction.py).

httpx logs every request URL, and Telegram URLs carry the bot token; the redaction on each
handler masks every secret in every spelling before anything is written.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
from pathlib import Path

from .config import Settings
from .redaction import Redactor, protect


def setup_logging(settings: Settings, *, console: bool = True, to_file: bool = True, level: str | None = None) -> None:
    """Configure the root logger once for a process (the bot, the TUI, the CLI)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_higgsctl", False):
            root.removeHandler(handler)
    root.setLevel(level or settings.log_level)
    redactor = Redactor.from_settings(settings)
    fmt = JsonFormatter() if settings.observability.json_logs else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s")
    handlers: list[logging.Handler] = []
    if console:
        handlers.append(logging.StreamHandler())
    if to_file:
        Path(settings.log_dir).mkdir(parents=True, exist_ok=True)
        handlers.append(logging.handlers.RotatingFileHandler(
            settings.log_dir / "higgsctl.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"))
    for handler in handlers:
        handler._higgsctl = True  # type: ignore[attr-defined]
        handler.setFormatter(fmt)
        protect(handler, redactor)
        root.addHandler(handler)
    redact_last_resort(settings)
    # httpx/httpcore at INFO log one line per request: useful at DEBUG only.
    logging.getLogger("httpx").setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)


class JsonFormatter(logging.Formatter):
    """One JSON object per line. The handler's redaction has already masked the message and
    the traceback, before JSON escapes anything."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
                 "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def redact_last_resort(settings: Settings) -> None:
    """Python writes warnings to stderr through ``logging.lastResort`` while no handler is
    configured (a CLI command without --debug): that handler redacts too."""
    if logging.lastResort is not None:
        protect(logging.lastResort, Redactor.from_settings(settings))
