"""The one redaction: every configured secret, in every spelling, in any text a log line or
an error message can carry."""

from __future__ import annotations

import json
import logging
from dataclasses import replace

import httpx
import pytest
from yarl import URL

from higgsctl.engine import Engine
from higgsctl.engine.errors import HiggsfieldAuthError
from higgsctl.engine.higgsfield import HiggsfieldClient
from higgsctl.launch import sandbox_options, settings_for_sandbox
from higgsctl.sandbox import Sandbox
from higgsctl.engine.redaction import MASK, Redactor, database_secrets, secrets_of

TOKEN = "7012345678:AAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC"
SECRETS = [
    TOKEN,
    "a.b*c+d?(e)[f]{g}|h^$\\i",      # regex metacharacters
    "hf key/with spaces&more=1",      # needs encoding everywhere
    "пароль-секрет-Ωμέγα",            # non-ASCII: multi-byte percent-encoding, Unicode case
    "p@ss:w/rd%41#?",                 # URL delimiters and a literal percent sign
    "abcd1234", "zzabcd", "1234wxyz",  # overlapping: substrings of each other's neighbours
    "secret", "secret-longer",        # one inside the other
]


def contexts(form: str) -> list[str]:
    """Places a secret travels: URL paths and queries, exception texts, reprs, JSON."""
    return [
        f"GET http://127.0.0.1:8081/file/bot{form}/photos/file_1.jpg",
        f"https://example.com/hook?token={form}&x=1",
        f"Bad request: Token {form} echoed",
        repr(RuntimeError(f"auth {form} rejected")),
        json.dumps({"detail": f"Invalid key {form}"}),
        f"{form}",
    ]


@pytest.mark.parametrize("secret", SECRETS)
def test_every_spelling_of_every_secret_is_masked(secret, spellings, leaked):
    redact = Redactor(SECRETS)
    for form in spellings(secret):
        for text in contexts(form):
            out = redact(text)
            assert not leaked(out, SECRETS), (text, out)
            assert MASK in out
    assert redact("GET http://127.0.0.1:8081/bot%s/getMe" % secret).endswith("/bot***/getMe")


def test_mixed_and_double_encoding_and_overlaps(leaked):
    redact = Redactor(SECRETS)
    assert redact("x=7012345678%3aAAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC;") == "x=***;"
    assert redact("x=7012345678%253AAAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC;") == "x=***;"  # encoded twice
    assert redact("a%2eb%2Ac%2bd%3F(e)[f]{g}|h^$\\i!") == "***!"  # some characters encoded, some not
    # overlapping secrets: the union of their spans goes, no fragment stays
    assert redact("<zzabcd1234wxyz>") == "<***>"
    assert redact("<secret-longer> <secret>") == "<***> <***>"
    assert redact("nothing secret-ish here: secre, abcd123") == "nothing ***-ish here: secre, abcd123"


def test_short_values_are_not_secrets_and_plain_text_is_untouched():
    redact = Redactor(["", "abc", None or ""])
    text = "POST /nano-banana -> 200 (correlation id 3ceb7c9c) abc"
    assert redact(text) == text
    assert redact(42) == "42"


def test_secret_shapes_are_masked_without_configuration():
    redact = Redactor()
    assert redact("postgresql://app:hunter2@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert redact("postgresql://app@db/x?sslmode=require&password=hunter2") == "postgresql://app@db/x?sslmode=require&password=***"
    assert redact("http://127.0.0.1/bot123456789%3AAAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC/getMe") == "http://127.0.0.1/bot***/getMe"
    assert redact("http://127.0.0.1:8080/v1/requests/abc") == "http://127.0.0.1:8080/v1/requests/abc"


def test_url_objects_and_their_reprs(leaked):
    redact = Redactor([TOKEN])
    for url in (httpx.URL(f"http://h/file/bot{TOKEN}/a.jpg"), URL(f"http://h/file/bot{TOKEN}/a.jpg")):
        for text in (str(url), repr(url), repr(httpx.Request("GET", str(url)))):
            assert not leaked(redact(text), [TOKEN]), text
            assert "/file/bot***/a.jpg" in redact(text)


def full_settings(settings):
    return replace(
        settings,
        database_url="postgresql://app:Pg%40ss%2Fw0rd!@127.0.0.1:5432/higgsctl?sslpassword=ssl-Key-pass",
        higgsfield=replace(settings.higgsfield, api_key="kid-1234", api_secret="Hf$ecret/+.*Value"),
        telegram=replace(settings.telegram, token=TOKEN, webhook_secret="whk-SECRET-value"),
    )


def test_secrets_of_settings_cover_every_secret(settings, leaked):
    s = full_settings(settings)
    found = secrets_of(s)
    for secret in (TOKEN, TOKEN.split(":")[1], "Hf$ecret/+.*Value", "kid-1234:Hf$ecret/+.*Value",
                   "whk-SECRET-value", "Pg@ss/w0rd!", "ssl-Key-pass"):
        assert secret in found
    assert database_secrets("sqlite:////tmp/x.db") == []
    assert "p/w#x" in database_secrets("postgresql://app:p/w#x@host/db")  # urlsplit stops at "/"
    assert "[bad" in database_secrets("postgresql://app:[bad@host:port/db")  # urlsplit refuses it
    redact = Redactor.from_settings(s)
    assert redact(s.database_url) == "postgresql://app:***@127.0.0.1:5432/higgsctl?sslpassword=***"
    assert redact("Authorization: Key kid-1234:Hf$ecret/+.*Value") == "Authorization: Key ***"


def test_log_records_with_object_args_tracebacks_and_chains(settings, leaked):
    s = full_settings(settings)
    secrets = [TOKEN, "Hf$ecret/+.*Value", "whk-SECRET-value", "Pg@ss/w0rd!"]
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    handler.addFilter(Redactor.from_settings(s).log_filter())
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    try:
        url = httpx.URL(f"http://127.0.0.1/file/bot{TOKEN}/photos/a.jpg")
        log.warning("HTTP Request: %s %s", "GET", url)  # args are objects, formatted late
        log.warning(URL(f"http://127.0.0.1/bot{TOKEN}/getFile"))  # the message itself an object
        log.warning("bad format %d", "not a number %s" % "whk-SECRET-value")  # unformattable
        try:
            try:
                raise ValueError("webhook whk-SECRET-value refused")
            except ValueError as inner:
                raise RuntimeError("db postgresql://app:Pg%40ss%2Fw0rd!@h/x down") from inner
        except RuntimeError:
            log.exception("failed with %r", "hf%20Hf%24ecret%2F%2B.%2AValue")
        log.warning("stack", stack_info=True)
    finally:
        log.removeHandler(handler)
    text = "\n".join(lines)
    assert not leaked(text, secrets), text
    assert "HTTP Request: GET http://127.0.0.1/file/bot***/photos/a.jpg" in text
    assert "ValueError: webhook *** refused" in text and "The above exception was the direct cause" in text
    assert "bad format" in text and "failed with" in text


def test_the_engine_carries_the_redactor(settings):
    engine = Engine(replace(full_settings(settings), database_url=settings.database_url))
    try:
        assert engine.redactor(f"GET /bot{TOKEN.replace(':', '%3a')}/x") == "GET /bot***/x"
    finally:
        engine.close()


async def test_higgsfield_errors_quoting_the_credentials_are_redacted(settings, leaked):
    """A real 401 from the sandbox that quotes the Authorization header URL-encoded."""
    s = full_settings(settings)
    async with Sandbox(sandbox_options(s, fault="unauthorized")) as sb:
        hf = settings_for_sandbox(s, sb).higgsfield
        async with HiggsfieldClient(hf.base_url, hf.api_key, hf.api_secret) as client:
            with pytest.raises(HiggsfieldAuthError) as caught:
                await client.submit("nano-banana", {"prompt": "x"}, idempotency_key="k-1")
    message = caught.value.message
    assert not leaked(message, ["Hf$ecret/+.*Value"]), message
    assert "HTTP 401" in message and "Invalid credentials (Authorization: Key%20***)" in message


def test_json_log_lines_are_json_and_redacted(settings, tmp_path, leaked):
    from higgsctl.engine.logs import setup_logging

    secret = 'hf"se\\cret/пароль'
    configured = replace(settings, higgsfield=replace(settings.higgsfield, api_key="id", api_secret=secret),
                         observability=replace(settings.observability, json_logs=True), data_dir=tmp_path)
    setup_logging(configured, console=False, to_file=True)
    log = logging.getLogger("higgsctl.test.json")
    log.warning("auth %s rejected", secret)
    try:
        raise RuntimeError(f"boom {secret}")
    except RuntimeError:
        log.exception("failed with %r", {"key": secret})
    for handler in logging.getLogger().handlers:
        handler.flush()
    lines = (tmp_path / "logs" / "higgsctl.log").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if "higgsctl.test.json" in line]
    assert [e["level"] for e in entries] == ["WARNING", "ERROR"] and "exc" in entries[1]
    assert not leaked("\n".join(lines), [secret])
