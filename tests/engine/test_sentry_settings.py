"""`[observability] sentry_dsn` and its neighbours: read, overridden by HIGGSCTL_SENTRY_DSN,
checked; the DSN is a secret like the others; the scrubber Sentry events go through."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from higgsctl.engine import ConfigError, load_settings
from higgsctl.engine.redaction import Redactor
from higgsctl.engine.sentry import Scrubber, start_sentry

DSN = "https://4f9e1c2b7a6d4e8f9a0b1c2d3e4f5a6b@o12345.ingest.sentry.io/678"
KEY = "4f9e1c2b7a6d4e8f9a0b1c2d3e4f5a6b"
TOKEN = "7012345678:AAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC"


def test_the_file_sets_sentry_and_the_environment_overrides_the_dsn(write_config, monkeypatch):
    write_config(f'[observability]\nsentry_dsn = "{DSN}"\nsentry_environment = "staging"\n'
                 "sentry_traces_sample_rate = 0.25\n")
    o = load_settings().observability
    assert (o.sentry_dsn, o.sentry_environment, o.sentry_traces_sample_rate) == (DSN, "staging", 0.25)
    monkeypatch.setenv("HIGGSCTL_SENTRY_DSN", "http://other@127.0.0.1:9/2")
    assert load_settings().observability.sentry_dsn == "http://other@127.0.0.1:9/2"


def test_off_by_default(home):
    settings = load_settings()
    assert settings.observability.sentry_dsn == "" and start_sentry(settings) is False


@pytest.mark.parametrize("text, needle", [
    ('sentry_dsn = "o12345.ingest.sentry.io/678"', "[observability] sentry_dsn must be a DSN"),
    ('sentry_dsn = "https://o12345.ingest.sentry.io/678"', "[observability] sentry_dsn must be a DSN"),  # no key
    ('sentry_dsn = "https://key@o12345.ingest.sentry.io/"', "[observability] sentry_dsn must be a DSN"),  # no project
    ("sentry_traces_sample_rate = 1.5", "sentry_traces_sample_rate must be between 0 and 1"),
    ("sentry_traces_sample_rate = -0.1", "sentry_traces_sample_rate must be between 0 and 1"),
])
def test_bad_sentry_settings_name_the_key(write_config, text, needle):
    write_config(f"[observability]\n{text}\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert needle in info.value.message


def test_the_dsn_and_its_key_are_redacted_like_every_secret(write_config, spellings, leaked):
    write_config(f'[observability]\nsentry_dsn = "{DSN}"\n')
    redact = Redactor.from_settings(load_settings())
    for form in spellings(DSN) | spellings(KEY):
        out = redact(f"sending to {form} failed")
        assert not leaked(out, [KEY]), (form, out)
    assert redact(f"dsn={DSN}") == "dsn=***"


def test_the_scrubber_redacts_every_string_and_what_would_be_repr_d(leaked):
    scrub = Scrubber(Redactor([TOKEN]))
    when = datetime(2026, 1, 2, tzinfo=timezone.utc)
    crumb = {"timestamp": when, "category": "httplib", "level": None, "count": 3, "ok": True,
             "data": {"url": f"https://api.telegram.org/bot{TOKEN}/getMe", "obj": httpx.URL(f"http://h/bot{TOKEN}/x"),
                      f"key {TOKEN}": (TOKEN.lower(), {TOKEN.replace(":", "%3A")})}}
    clean = scrub.event(crumb, {})
    assert not leaked(repr(clean), [TOKEN])
    assert clean["data"]["url"] == "https://api.telegram.org/bot***/getMe"
    assert clean["data"]["obj"] == "URL('http://h/bot***/x')" and clean["data"]["key ***"] == ["***", ["***"]]
    assert (clean["timestamp"], clean["level"], clean["count"], clean["ok"]) == (when, None, 3, True)
