"""Logging set-up with secret redaction.

httpx logs every request URL at INFO, and Telegram URLs carry the bot token; a filter on
each handler replaces every known secret with '***' before anything is written.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

from .config import Settings


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
        # Any letter case: PTB capitalizes Telegram's error texts, lower-casing the token in them.
        self.pattern = re.compile("|".join(map(re.escape, secrets)), re.IGNORECASE) if secrets else None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.pattern is None:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True

    def redact(self, text: str) -> str:
        return self.pattern.sub("***", text) if self.pattern else text


def secrets_of(settings: Settings) -> list[str]:
    hf = settings.higgsfield
    return [hf.api_secret, f"{hf.api_key}:{hf.api_secret}", settings.telegram.token, settings.telegram.webhook_secret]


def setup_logging(settings: Settings, *, console: bool = True, to_file: bool = True, level: str | None = None) -> None:
    """Configure the root logger once for a process (the bot, the TUI, the CLI)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_higgsctl", False):
            root.removeHandler(handler)
    root.setLevel(level or settings.log_level)
    redact = RedactSecrets(secrets_of(settings))
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
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
        handler.addFilter(redact)
        root.addHandler(handler)
    # httpx/httpcore at INFO log one line per request: useful at DEBUG only.
    logging.getLogger("httpx").setLevel(logging.WARNING if root.level > logging.DEBUG else logging.NOTSET)
