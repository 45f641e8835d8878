"""The CLI shows no spelling of any configured secret: not in --debug logs and tracebacks,
not in error lines, not in `config show` / `db status`."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from higgsctl.engine import load_settings

KEY_ID, SECRET = "kid-1234", "Hf$ecret/+.*Value"
TOKEN = "7012345678:AAHk3-qZ_xY9vBn2MwLp0sRt4UvWxYz1AbC"
WEBHOOK_SECRET = "whk-SECRET_value-42"
DB_PASSWORD = "Pg@ss/w0rd:!"
SECRETS = [SECRET, f"{KEY_ID}:{SECRET}", TOKEN, TOKEN.split(":")[1], WEBHOOK_SECRET, DB_PASSWORD]


def config(database_url: str) -> str:
    return (f'[higgsfield]\napi_key = "{KEY_ID}"\napi_secret = "{SECRET}"\n'
            f'[telegram]\ntoken = "{TOKEN}"\nwebhook_secret = "{WEBHOOK_SECRET}"\n'
            f'webhook_url = "https://example.com/hook/{TOKEN}"\n'
            f'[database]\nurl = "{database_url}"\n[logging]\nlevel = "DEBUG"\n')


def test_generate_debug_failure_shows_no_secret(cli, write_config, home, pg_database, leaked):
    """`generate --sandbox --debug`, the sandbox answering 401 with the Authorization header
    quoted URL-encoded: the error line, the debug log on stderr, the traceback and the log
    file carry no spelling of any secret, and still say what happened."""
    write_config(config(pg_database.url(quote(DB_PASSWORD, safe=""))))
    result = cli("--debug", "generate", "a fox [sandbox:unauthorized]", "--sandbox", "--yes",
                 "--sandbox-service-time", "0")
    assert result.exit_code == 3, result.output  # a rejected key is exit 3 (README), even mid-run
    log_file = (load_settings().log_dir / "higgsctl.log").read_text(encoding="utf-8")
    for text in (result.stderr, result.stdout, log_file):
        assert not leaked(text, SECRETS), text
    assert "Higgsfield rejected the API credentials (HTTP 401)" in result.stderr
    assert "Authorization: Key%20***" in result.stderr and "DEBUG higgsctl.higgsfield" in result.stderr
    assert "HTTP Request: POST" in log_file and "/nano-banana" in log_file


@pytest.mark.parametrize("database_url", [
    f"postgresql://app:{quote(DB_PASSWORD, safe='')}@127.0.0.1:5432/higgsctl",
    f"postgresql://app:{quote(DB_PASSWORD)}@127.0.0.1:5432/higgsctl",
    f"postgresql://app@127.0.0.1:5432/higgsctl?sslmode=disable&password={quote(DB_PASSWORD, safe='')}",
    f"mysql://app:{quote(DB_PASSWORD, safe='').lower()}@127.0.0.1/higgsctl",
])
def test_config_show_masks_every_secret(cli, write_config, database_url, leaked):
    write_config(config(database_url))
    for args in (("config", "show"), ("config", "show", "--json")):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert not leaked(result.output, SECRETS), result.output
        assert "127.0.0.1" in result.output and "https://example.com/hook/***" in result.output


def test_db_status_and_config_check_mask_the_database_password(cli, write_config, pg_database, leaked):
    write_config(config(f"{pg_database.url()}?password={quote(DB_PASSWORD, safe='')}"))
    status = cli("db", "status", "--json")
    assert status.exit_code == 0, status.output
    assert status.json()["database_url"].endswith(f"/{pg_database.name}?password=***")
    check = cli("config", "check")
    for result in (status, check):
        assert not leaked(result.output, SECRETS), result.output
    assert f"/{pg_database.name}?password=***" in check.stdout
