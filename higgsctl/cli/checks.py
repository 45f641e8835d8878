"""The checks behind `higgsctl config check`: (level, message, exit code) triples.
Messages never contain a secret: the Telegram token is part of the getMe URL, so no URL
or exception text from that request is ever shown."""

from __future__ import annotations

import os

from . import exit_codes

PROBE_REQUEST_ID = "00000000-0000-0000-0000-000000000000"
Check = tuple[str, str, int]


def offline_checks(settings) -> list[Check]:
    hf, tg = settings.higgsfield, settings.telegram
    results: list[Check] = [("ok", f"settings are valid ({settings.config_path})", 0)]
    if not settings.config_path.exists():
        results.append(("warn", "no config file: defaults and environment only (`higgsctl config init` writes one)", 0))
    if hf.has_credentials:
        results.append(("ok", f"Higgsfield key set; API {hf.base_url}", 0))
    else:
        results.append(("warn", "no Higgsfield key: `generate` needs one (or --sandbox); set HF_KEY or [higgsfield]", 0))
    if tg.token:
        results.append(("ok", f"Telegram token set; {len(tg.admin_ids)} admin id(s)", 0))
        if not tg.admin_ids:
            results.append(("warn", "no [telegram] admin_ids: nobody can approve top-ups in the bot", 0))
    else:
        results.append(("warn", "no Telegram token: `bot run` needs one (HIGGSCTL_TELEGRAM_TOKEN or [telegram] token)", 0))
    if tg.mode == "webhook" and not tg.webhook_url.startswith("https://"):
        results.append(("fail", "[telegram] mode is webhook but webhook_url is not an https:// URL", exit_codes.CONFIG))
    results.append(_database(settings))
    results.append(_storage(settings))
    return results


def _database(settings) -> Check:
    from higgsctl.engine.db import migration_runner, open_database

    from higgsctl.engine.redaction import Redactor

    redact = Redactor.from_settings(settings)
    url = redact(settings.database_url)
    try:
        db = open_database(settings.database_url, migrate=False)
        try:
            pending = [m.name for m in migration_runner(db).status() if m.applied is None and m.path]
        finally:
            db.close()
    except Exception as exc:  # noqa: BLE001 - any driver error means "cannot use it"
        return ("fail", redact(f"database {url}: {type(exc).__name__}: {exc}"), exit_codes.CONFIG)
    if pending:
        return ("warn", f"database {url}: {len(pending)} migration(s) pending (applied on next use, or `higgsctl db migrate`)", 0)
    return ("ok", f"database {url} is reachable and up to date", 0)


def _storage(settings) -> Check:
    path = settings.storage_path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return ("fail", f"storage {path}: {exc.strerror}", exit_codes.CONFIG)
    if not os.access(path, os.W_OK):
        return ("fail", f"storage {path} is not writable", exit_codes.CONFIG)
    return ("ok", f"storage {path} is writable", 0)


async def online_checks(settings) -> list[Check]:
    return [await _telegram(settings), await _higgsfield(settings)]


async def _telegram(settings) -> Check:
    import httpx

    tg = settings.telegram
    if not tg.token:
        return ("warn", "Telegram check skipped: no token", 0)
    where = tg.api_base_url.rstrip("/")
    try:
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.get(f"{where}/bot{tg.token}/getMe")
    except httpx.HTTPError as exc:  # str(exc) may contain the URL, and so the token
        return ("fail", f"cannot reach Telegram at {where}: {type(exc).__name__}", exit_codes.API)
    if response.status_code in (401, 404):
        return ("fail", f"Telegram rejected the bot token (HTTP {response.status_code})", exit_codes.CONFIG)
    try:
        body = response.json()
        username = body["result"]["username"] if response.is_success and body.get("ok") else None
    except (ValueError, KeyError, TypeError, AttributeError):
        username = None
    if username is None:
        return ("fail", f"unexpected answer from Telegram getMe (HTTP {response.status_code})", exit_codes.API)
    return ("ok", f"Telegram token works: bot @{username}", 0)


async def _higgsfield(settings) -> Check:
    from higgsctl.engine.errors import HiggsfieldAuthError, HiggsfieldError

    hf = settings.higgsfield
    if not hf.has_credentials:
        return ("warn", "Higgsfield check skipped: no key", 0)
    try:
        await verify_higgsfield_key(settings)
    except HiggsfieldAuthError:
        return ("fail", "Higgsfield rejected the key (HTTP 401)", exit_codes.CONFIG)
    except HiggsfieldError as exc:
        return ("fail", f"Higgsfield probe failed: {exc.message}", exit_codes.for_error(exc))
    return ("ok", f"Higgsfield key works ({hf.base_url})", 0)


async def verify_higgsfield_key(settings) -> None:
    """Ask Higgsfield about a request that does not exist: a 404 means the key was accepted.
    Raises the engine's error otherwise (HiggsfieldAuthError for a rejected key)."""
    from higgsctl.engine.errors import HiggsfieldNotFound
    from higgsctl.engine.higgsfield import HiggsfieldClient, RetryPolicy

    hf = settings.higgsfield
    client = HiggsfieldClient(hf.base_url, hf.api_key, hf.api_secret, timeout=10.0,
                              retry=RetryPolicy(max_attempts=2, base_delay=0.2))
    try:
        await client.status(PROBE_REQUEST_ID)
    except HiggsfieldNotFound:
        pass
    finally:
        await client.aclose()
