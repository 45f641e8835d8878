"""Sentry, as the commands that work for long start it: a real sentry-sdk posting to a real
ingest endpoint on loopback. Whatever reaches it (messages, exceptions, breadcrumbs from
URLs, tags, extra data) carries no spelling of any secret; without a DSN the SDK is not
even imported."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote


from tests.fakes.telegram_emulator import TelegramEmulator

from .sentry_ingest import KEY, SentryIngest

TOKEN = "7012345678:AAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC"
HF_ID, HF_SECRET = "hf-key-id", "hf-Secret/value+42"
SECRETS = [TOKEN, TOKEN.split(":", 1)[1], HF_SECRET, f"{HF_ID}:{HF_SECRET}"]
# the secrets as a server or a library may quote them: raw, lower-cased, URL-encoded, base64
QUOTED = (f"{TOKEN} {TOKEN.lower()} {quote(TOKEN, safe='')} {HF_SECRET} {quote(HF_SECRET, safe='')} "
          f"{base64.b64encode(f'{HF_ID}:{HF_SECRET}'.encode()).decode()}")
HIGGSCTL = str(Path(sys.executable).with_name("higgsctl"))


def environment(home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "HIGGSCTL_HOME": str(home), "HIGGSCTL_TELEGRAM_TOKEN": TOKEN,
            "HF_KEY": f"{HF_ID}:{HF_SECRET}", **extra}


def received_text(ingest: SentryIngest) -> str:
    return "\n".join(ingest.bodies)


def breadcrumbs(event: dict) -> list[dict]:
    crumbs = event.get("breadcrumbs") or {}
    return crumbs.get("values", []) if isinstance(crumbs, dict) else crumbs


# What `higgsctl generate`, `worker` and `bot run` do first (load_settings(log_to_file=True):
# logging, then Sentry), then an error logged with its exception, a request to a Bot API URL
# (an httpx breadcrumb), a tag and extra data, and a crash the CLI reports.
PROGRAM = """
import logging, sys
import httpx, sentry_sdk
from higgsctl.cli.context import load_settings, report

secrets = sys.argv[1]
load_settings(log_to_file=True)
sentry_sdk.set_tag("telegram_url", "https://api.telegram.org/bot%s/sendMessage" % secrets.split()[0])
sentry_sdk.set_extra("quoted", {"answer": secrets, "list": [secrets]})
with sentry_sdk.start_transaction(name="probe"):  # traced: the request becomes a span too
    httpx.get("%s/bot%s/getMe" % (sys.argv[2], secrets.split()[0]))
try:
    raise ConnectionError("cannot reach https://api.telegram.org/bot%s/getMe: %s" % (secrets.split()[2], secrets))
except ConnectionError:
    logging.getLogger("higgsctl.bot").exception("failed sending %s", secrets)
sys.exit(report(RuntimeError("crashed with " + secrets)))
"""


def test_logged_errors_and_crashes_reach_sentry_with_every_secret_redacted(home, leaked):
    (home / "config.toml").write_text("[observability]\nsentry_traces_sample_rate = 1.0\n")
    with SentryIngest() as ingest:
        done = subprocess.run([sys.executable, "-c", PROGRAM, QUOTED, ingest.url], capture_output=True, text=True,
                              env=environment(home, HIGGSCTL_SENTRY_DSN=ingest.dsn), timeout=60)
        assert done.returncode == 1, done.stderr  # the crash's exit code: the SDK flushed before exit
        events, (transaction,) = ingest.items("event"), ingest.items("transaction")
    assert len(events) == 2, events
    assert [span["description"] for span in transaction["spans"]] == [f"GET {ingest.url}/bot***/getMe"]
    logged, crashed = events
    assert logged["level"] == "error" and logged["logentry"]["formatted"].startswith("failed sending *** ***")
    assert logged["logentry"]["message"] == "failed sending %s"  # the template: one issue for every such line
    (exc,) = logged["exception"]["values"]
    assert exc["type"] == "ConnectionError" and exc["value"].startswith("cannot reach https://api.telegram.org/bot***/getMe")
    assert logged["tags"]["telegram_url"] == "https://api.telegram.org/bot***/sendMessage"
    assert logged["extra"]["quoted"]["answer"].startswith("*** ***")
    urls = [c["data"]["url"] for c in breadcrumbs(logged) if c.get("category") == "httplib"]
    assert urls == [f"{ingest.url}/bot***/getMe"]
    assert all("vars" not in frame for frame in exc["stacktrace"]["frames"])  # no local variables
    assert crashed["exception"]["values"][-1]["value"].startswith("crashed with ***")
    text = received_text(ingest)
    assert not leaked(text, SECRETS), leaked(text, SECRETS)
    assert all(KEY not in json.dumps(event) for event in events)  # the DSN's key only authenticates,
    assert all(header["trace"]["public_key"] == KEY for header in ingest.headers())  # and samples
    assert not leaked(done.stderr, SECRETS)


def loaded_modules(*args: str, env: dict[str, str]) -> list[str]:
    code = ("import sys\nfrom higgsctl.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('sentry_sdk', 'higgsctl.engine.sentry') if m in sys.modules], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)
    return eval(done.stderr.strip().splitlines()[-1])


def test_without_a_dsn_the_sdk_is_never_imported(home):
    env = {**os.environ, "HIGGSCTL_HOME": str(home)}
    assert loaded_modules("generate", "a red fox", "--sandbox", "--yes", "--json", env=env) == ["higgsctl.engine.sentry"]
    assert loaded_modules("--help", env=env) == []
    with SentryIngest() as ingest:  # the same command with a DSN: the check can fail
        assert "sentry_sdk" in loaded_modules("generate", "a red fox", "--sandbox", "--yes", "--json",
                                              env={**env, "HIGGSCTL_SENTRY_DSN": ingest.dsn})


async def test_bot_run_sends_handler_errors_redacted(home, leaked):
    """`higgsctl bot run` as a process: Telegram answers a sendMessage with an error that
    quotes the secrets; the handler's error reaches Sentry with its breadcrumbs (the Bot API
    URLs, the token in their path), every secret masked."""
    from tests.bot.harness import ALICE

    emu = TelegramEmulator(token=TOKEN)
    await emu.start()
    (home / "config.toml").write_text(f'[telegram]\napi_base_url = "{emu.url}"\n')
    with SentryIngest() as ingest:
        proc = subprocess.Popen([HIGGSCTL, "bot", "run", "--sandbox"], env=environment(home, HIGGSCTL_SENTRY_DSN=ingest.dsn),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            alice = emu.user(ALICE, "Alice")
            await alice.send_text("/start")
            await alice.wait_for_text("Welcome", timeout=60)
            emu.fail_next("sendMessage", error_code=400, description=f"Bad Request: chat for {QUOTED} not found")
            await alice.send_text("/balance")
            await alice.wait_for_text("Something went wrong")
            await asyncio.to_thread(ingest.wait_for, lambda i: i.items("event"))
            proc.send_signal(signal.SIGTERM)
            _, err = await asyncio.to_thread(proc.communicate, timeout=60)
            assert proc.returncode == 0, err
        finally:
            if proc.poll() is None:
                proc.kill()
            await emu.stop()
        events = ingest.items("event")
    (event,) = events
    assert event["logentry"]["formatted"].startswith("error while handling update")
    assert event["logentry"]["message"] == "error while handling %s"  # one issue for every update
    [exception] = event["exception"]["values"]  # the exception itself, not a traceback as text
    assert exception["type"] == "BadRequest" and exception["value"].startswith("Chat for ***")
    urls = [c["data"]["url"] for c in breadcrumbs(event) if c.get("category") == "httplib"]
    assert f"{emu.url}/bot***/sendMessage" in urls and f"{emu.url}/bot***/getUpdates" in urls
    text = received_text(ingest)
    assert not leaked(text, SECRETS), leaked(text, SECRETS)
    assert not leaked(err, SECRETS)


def test_a_dsn_without_the_sdk_installed_is_a_config_error(home):
    code = "import sys\nsys.modules['sentry_sdk'] = None  # as if not installed\nfrom higgsctl.cli import main\nmain()"
    done = subprocess.run([sys.executable, "-c", code, "generate", "a red fox", "--sandbox", "--yes"], capture_output=True,
                          text=True, env={**os.environ, "HIGGSCTL_HOME": str(home), "HIGGSCTL_SENTRY_DSN": f"http://{KEY}@127.0.0.1:9/1"},
                          timeout=60)
    assert done.returncode == 3 and "sentry_dsn is set but sentry-sdk is not installed" in done.stderr
    assert "higgsctl[sentry]" in done.stderr and KEY not in done.stderr
