"""The one redaction: every secret of the configuration, in every spelling, becomes ``***``.

Secrets travel in URLs and error texts in many spellings: the bot token sits in every Bot
API URL, where httpx and yarl percent-encode its colon (``%3A`` or ``%3a``); PTB upper-cases
error texts, lower-casing the token in them; a database password may be written encoded in
its URL. So each character of a secret matches itself in any letter case, its
percent-encoding (either hex case, also encoded twice), its repr()/JSON escape and, for a
space, ``+``; base64 of
each secret covers ``Authorization`` headers. Three shapes are masked even when unknown: a
password in a URL (``scheme://user:PASSWORD@``), a password-like query parameter, and a
Telegram bot token.

Every log handler (see logs.py), every error message a face prints and every Higgsfield
error text goes through a ``Redactor``.
"""

from __future__ import annotations

import base64
import logging
import re
import traceback
from typing import TYPE_CHECKING, Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

if TYPE_CHECKING:
    from .config import Settings

MASK = "***"
MIN_LENGTH = 4  # a shorter "secret" would mask ordinary words everywhere

PASSWORD_PARAMS = ("password", "passwd", "pwd", "pass", "sslpassword", "secret", "token", "api_key", "api_secret")
SHAPES = (
    # scheme://user:PASSWORD@host (the password part only)
    re.compile(r"[a-z][a-z0-9+.-]*://[^\s:/@]*:([^\s/@]+)@", re.IGNORECASE),
    # ?password=SECRET&...
    re.compile(r"[?&;](?:%s)=([^\s&#;'\"]+)" % "|".join(PASSWORD_PARAMS), re.IGNORECASE),
    # a Telegram bot token: <bot id>:<35 characters>, the colon maybe encoded
    re.compile(r"(?<![0-9])([0-9]{5,}(?::|%3A|%253A)[A-Za-z0-9_-]{30,})", re.IGNORECASE),
)


class Redactor:
    """``redact(text)`` → text with every known secret (and every secret-shaped part)
    masked. Secrets may overlap or contain one another: the union of all matches goes."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        known = {s for s in secrets if s and len(s) >= MIN_LENGTH}
        forms = known | {b for s in known for b in _base64_forms(s)}
        self._patterns = [re.compile(_spellings(form), re.IGNORECASE)
                          for form in sorted(forms, key=len, reverse=True)] + list(SHAPES)
        # one pass that finds out whether anything needs masking at all (most lines don't)
        self._any = re.compile("|".join(f"(?:{p.pattern})" for p in self._patterns), re.IGNORECASE)

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        return cls(secrets_of(settings))

    def __call__(self, text: object) -> str:
        text = text if isinstance(text, str) else str(text)
        if not self._any.search(text):
            return text
        spans = sorted(m.span(m.lastindex or 0) for p in self._patterns for m in p.finditer(text))
        out, end = [], 0
        for start, stop in spans:
            if stop <= end:
                continue
            if start >= end:
                out.append(text[end:start])
                out.append(MASK)
            end = stop
        out.append(text[end:])
        return "".join(out)

    def exception(self, exc: BaseException) -> str:
        """The whole traceback, chained exceptions included, redacted."""
        return self("".join(traceback.format_exception(exc)).rstrip())

    def log_filter(self) -> LogRedaction:
        return LogRedaction(self)


class LogRedaction(logging.Filter):
    """A handler filter: the formatted message, the traceback and the stack, redacted.
    On a handler (not a logger) it sees every record that reaches the handler, from any
    library's logger (httpx, httpcore, telegram, aiohttp, peewee)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", None) is self.redactor:
            return True
        try:
            message = record.getMessage()  # args may be any objects: URLs, requests, exceptions
        except Exception:  # noqa: BLE001 - a bad format string: keep what there is, redacted
            message = f"{record.msg!r} % {record.args!r}"
        if record.args and isinstance(record.msg, str):
            record._template = record.msg  # Sentry groups events by it (see sentry.py)
        record.msg, record.args = self.redactor(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redactor(record.stack_info)
        record._redacted = self.redactor
        return True


def protect(handler: logging.Handler, redactor: Redactor) -> None:
    """Put ``redactor`` on ``handler``, replacing a redaction it had."""
    for old in [f for f in handler.filters if isinstance(f, LogRedaction)]:
        handler.removeFilter(old)
    handler.addFilter(redactor.log_filter())


def secrets_of(settings: Settings) -> list[str]:
    hf, tg = settings.higgsfield, settings.telegram
    found = [hf.api_secret, tg.token, tg.webhook_secret, *hf.webhook_secret.split(),
             *database_secrets(settings.database_url), *dsn_secrets(settings.observability.sentry_dsn)]
    credentials = f"{hf.api_key}:{hf.api_secret}" if hf.api_secret else hf.api_key
    for secret in (credentials, tg.token):
        if ":" in secret:  # id:secret: the whole, and the secret part alone
            found += [secret, secret.split(":", 1)[1]]
    return found


def database_secrets(url: str) -> list[str]:
    """The password of a database URL (as written and decoded), in its user part or its
    query (peewee passes query parameters to the driver)."""
    # up to the last "@": a password may hold an unencoded "/", "?" or "#", which urlsplit
    # (and so peewee) reads as the end of the host
    userinfo = re.match(r"[a-z][a-z0-9+.-]*://(.*)@", url, re.IGNORECASE | re.DOTALL)
    found = [userinfo.group(1).partition(":")[2]] if userinfo else []
    try:
        parts = urlsplit(url)
        found += [parts.password or ""]
    except ValueError:
        parts = None
    if parts is not None:
        found += [value for key, value in parse_qsl(parts.query) if key.lower() in PASSWORD_PARAMS]
    return [form for secret in found if secret for form in (secret, unquote(secret))]


def dsn_secrets(dsn: str) -> list[str]:
    """A Sentry DSN and its key (and the legacy secret key): whoever has them can send events."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return [dsn] if dsn else []
    return [part for part in (dsn, parts.username, parts.password) if part]


def _spellings(secret: str) -> str:
    """A pattern for ``secret`` with each character raw, percent-encoded (once or twice) or
    escaped as repr() and JSON write it."""
    return "".join(_character(c) for c in secret)


def _character(c: str) -> str:
    """One character: itself in any letter case (the pattern ignores case), its UTF-8
    percent-encoding (of either letter case: they differ in bytes) once or twice, and the
    escapes repr() and JSON write."""
    options = [re.escape(c)]
    for variant in {c, c.lower(), c.upper()}:
        if len(variant) != 1:  # "ß".upper() == "SS"
            continue
        encoded = "".join(f"%{b:02X}" for b in variant.encode("utf-8"))
        options += [re.escape(encoded), re.escape(encoded.replace("%", "%25"))]
        if 127 < ord(variant) <= 0xFFFF:
            options.append(rf"\\+u{ord(variant):04x}")  # JSON's ensure_ascii
    if c == " ":
        options.append(r"\+")  # form encoding
    if c in "\\\"'":
        options.append(r"\\+" + re.escape(c))  # repr() and JSON escape these (maybe twice)
    return "(?:" + "|".join(dict.fromkeys(options)) + ")"


def _base64_forms(secret: str) -> set[str]:
    raw = secret.encode("utf-8")
    forms = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return {f.rstrip("=") for f in forms if len(f.rstrip("=")) >= MIN_LENGTH}
