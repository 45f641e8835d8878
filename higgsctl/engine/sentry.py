"""Errors to Sentry when ``[observability] sentry_dsn`` is set, redacted like the logs.

sentry_sdk is imported here only, and only once a DSN is set: a process without one (and
`higgsctl --help`) never loads it. Then ERROR log lines and crashes become events. Every
event, breadcrumb and transaction passes through the logs' Redactor before it leaves the
process, string by string: Bot API URLs carry the token in their path (the httpx, aiohttp
and stdlib integrations record URLs), exception texts quote what a server answered, and
``sys.argv`` and request data ride along. Local variables, request bodies and personal data
are not sent at all (a frame may hold a key; a body, a user's prompt).
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from .config import Settings
from .errors import ConfigError
from .redaction import Redactor, dsn_secrets, secrets_of


def start_sentry(settings: Settings) -> bool:
    """Send this process's errors to Sentry if a DSN is configured; True when it does."""
    o = settings.observability
    if not o.sentry_dsn:
        return False
    try:
        import sentry_sdk
    except ImportError:
        raise ConfigError("[observability] sentry_dsn is set but sentry-sdk is not installed.",
                          hint="pip install 'higgsctl[sentry]' (the Docker image has it).") from None
    from sentry_sdk.integrations.aiohttp import AioHttpIntegration
    from sentry_sdk.integrations.httpx import HttpxIntegration

    from .heartbeat import version

    # Sentry knows its own DSN: its key stays in the events' trace header (dynamic sampling)
    scrub = Scrubber(Redactor(set(secrets_of(settings)) - set(dsn_secrets(o.sentry_dsn))))
    sentry_sdk.init(
        dsn=o.sentry_dsn,
        environment=o.sentry_environment or None,
        release=f"higgsctl@{version()}",
        traces_sample_rate=o.sentry_traces_sample_rate or None,  # None: no tracing at all
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub.event,
        before_send_transaction=scrub.event,
        before_breadcrumb=scrub.event,
        # the libraries higgsctl's requests go through; probing for all ~40 it knows takes 0.2-0.4 s
        auto_enabling_integrations=False,
        integrations=[HttpxIntegration(), AioHttpIntegration()],
    )
    return True


def report_crash(exc: BaseException) -> None:
    """An exception no face handled (the CLI renders it and exits): an event, when Sentry is on."""
    sdk = sys.modules.get("sentry_sdk")  # never imported: Sentry is off
    if sdk is not None and sdk.is_initialized():
        sdk.capture_exception(exc)


class Scrubber:
    """Every string of an event (keys too), redacted; objects the SDK would repr() are
    turned into redacted text first."""

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact

    def event(self, event: dict, hint: dict | None = None) -> dict:
        record = (hint or {}).get("log_record")
        template = getattr(record, "_template", None)  # the log redaction formatted the record before Sentry saw it
        if template and isinstance(event.get("logentry"), dict):
            event["logentry"]["message"] = template  # Sentry groups by the message before formatting
        return self.clean(event)

    def clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.clean(k): self.clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self.clean(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, datetime)):
            return value
        return self.redact(repr(value))
