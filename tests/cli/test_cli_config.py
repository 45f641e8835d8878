"""`higgsctl config init | path | show | check`: file mode, masking, online probes."""

from __future__ import annotations

import stat
import tomllib

import httpx
import pytest

from higgsctl.engine import load_settings
from higgsctl.engine.db import MIGRATIONS as MIGRATIONS_DIR

KEY_ID = "hf-key-id-7c1e"
SECRET = "hf-secret-value-0123456789abcdef"
TOKEN = "123456789:AAE-telegram-token-value-xyz987"


def test_init_writes_0600_config_with_hidden_answers(cli, home):
    result = cli("config", "init", input=f"{KEY_ID}\n{SECRET}\n{TOKEN}\n111, 222\n")
    assert result.exit_code == 0, result.output
    path = home / "config.toml"
    assert result.stdout.strip().endswith(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert "# higgsctl configuration." in text  # the commented template, comments kept
    raw = tomllib.loads(text)
    assert raw["higgsfield"]["api_key"] == KEY_ID and raw["higgsfield"]["api_secret"] == SECRET
    assert raw["telegram"]["token"] == TOKEN and raw["telegram"]["admin_ids"] == [111, 222]
    settings = load_settings()
    assert settings.higgsfield.has_credentials and settings.telegram.admin_ids == (111, 222)
    for secret in (SECRET, TOKEN):
        assert secret not in result.output  # hidden input is not echoed


def test_init_accepts_id_colon_secret_and_empty_answers(cli, home):
    result = cli("config", "init", input=f"{KEY_ID}:{SECRET}\n\n\n")
    assert result.exit_code == 0, result.output
    raw = tomllib.loads((home / "config.toml").read_text())
    assert (raw["higgsfield"]["api_key"], raw["higgsfield"]["api_secret"]) == (KEY_ID, SECRET)
    assert raw["telegram"]["token"] == "" and raw["telegram"]["admin_ids"] == []


def test_init_refuses_to_overwrite_without_force(cli, home):
    path = home / "config.toml"
    path.write_text("# mine\n")
    path.chmod(0o644)
    refused = cli("config", "init", input="\n\n\n\n")
    assert refused.exit_code == 2 and "already exists" in refused.stderr and "--force" in refused.stderr
    assert path.read_text() == "# mine\n"
    forced = cli("config", "init", "--force", input="\n\n\n\n")
    assert forced.exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "[higgsfield]" in path.read_text()


def test_init_rejects_non_numeric_admin_ids(cli, home):
    result = cli("config", "init", input="\n\n\nalice\n")
    assert result.exit_code == 2 and "numeric" in result.stderr
    assert not (home / "config.toml").exists()


def test_path(cli, home):
    assert cli("config", "path").stdout.strip() == str(home / "config.toml")


def test_show_never_prints_secrets(cli, write_config, monkeypatch):
    write_config(f'[telegram]\ntoken = "{TOKEN}"\nwebhook_secret = "webhook-secret-abcdef-123"\n'
                 f'[database]\nurl = "postgresql://app:db-password-999@127.0.0.1:5432/higgsctl"\n')
    monkeypatch.setenv("HF_KEY", f"{KEY_ID}:{SECRET}")
    text = cli("config", "show")
    data = cli("config", "show", "--json")
    assert text.exit_code == data.exit_code == 0
    for output in (text.output, data.output):
        for secret in (SECRET, TOKEN, KEY_ID, "webhook-secret-abcdef-123", "db-password-999"):
            assert secret not in output
    doc = data.json()
    assert doc["higgsfield"]["api_secret"] == "hf-…cdef"
    assert doc["telegram"]["token"] == "123…z987"
    assert doc["higgsfield"]["api_key"] == "****"  # short values are fully masked
    assert doc["database_url"] == "postgresql://app:***@127.0.0.1:5432/higgsctl"
    assert "HF_KEY" in doc["env_overrides"]
    assert doc["credits"]["initial"] == 10000 and "nano-banana" in doc["models"]
    assert "api_secret = hf-…cdef" in text.stdout


def test_show_reports_a_broken_config_as_exit_3(cli, write_config):
    write_config("[higgsfield]\nmax_concurrent = 0\n")
    result = cli("config", "show")
    assert result.exit_code == 3
    assert "max_concurrent must be at least 1" in result.stderr


def test_check_offline_warns_about_missing_keys(cli):
    result = cli("config", "check")
    assert result.exit_code == 0, result.output
    assert "no Higgsfield key" in result.stdout and "no Telegram token" in result.stdout
    assert f"{len(list(MIGRATIONS_DIR.glob('[0-9]*.py')))} migration(s) pending" in result.stdout  # a fresh database, not yet opened
    assert "is writable" in result.stdout
    cli("db", "migrate")
    assert "reachable and up to date" in cli("config", "check").stdout


def _online_config(write_config, base_url, key, secret):
    write_config(f'[higgsfield]\nbase_url = "{base_url}"\napi_key = "{key}"\napi_secret = "{secret}"\n'
                 f'[telegram]\ntoken = "{TOKEN}"\nadmin_ids = [1]\napi_base_url = "https://tg.test"\n')


@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host == "tg.test")
def test_check_online_success(cli, write_config, sandbox_server, httpx_mock):
    httpx_mock.add_response(url=f"https://tg.test/bot{TOKEN}/getMe", json={"ok": True, "result": {"id": 1, "username": "higgs_bot"}})
    _online_config(write_config, sandbox_server.base_url, "hf-key-id", "hf-secret-value-123")
    result = cli("config", "check", "--online")
    assert result.exit_code == 0, result.output
    assert "Telegram token works: bot @higgs_bot" in result.stdout
    assert "Higgsfield key works" in result.stdout
    assert sandbox_server.stats.total_status_calls == 0  # 404 for the probe id: never a real request
    assert TOKEN not in result.output


@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host == "tg.test")
def test_check_online_rejected_credentials_exit_3_without_leaking(cli, write_config, sandbox_server, httpx_mock):
    httpx_mock.add_response(url=f"https://tg.test/bot{TOKEN}/getMe", status_code=401,
                            json={"ok": False, "error_code": 401, "description": "Unauthorized"})
    _online_config(write_config, sandbox_server.base_url, "hf-key-id", "wrong-secret-value-456")
    result = cli("config", "check", "--online")
    assert result.exit_code == 3
    assert "Telegram rejected the bot token (HTTP 401)" in result.stdout
    assert "Higgsfield rejected the key" in result.stdout
    for secret in (TOKEN, "wrong-secret-value-456"):
        assert secret not in result.output


@pytest.mark.httpx_mock(should_mock=lambda request: request.url.host == "tg.test")
def test_check_online_network_error_never_prints_the_token(cli, write_config, sandbox_server, httpx_mock):
    httpx_mock.add_exception(httpx.ConnectError(f"cannot connect to https://tg.test/bot{TOKEN}/getMe"))
    _online_config(write_config, sandbox_server.base_url, "hf-key-id", "hf-secret-value-123")
    result = cli("config", "check", "--online")
    assert result.exit_code == 4
    assert "cannot reach Telegram at https://tg.test: ConnectError" in result.stdout
    assert TOKEN not in result.output


def test_show_masks_the_sentry_dsn(cli, monkeypatch):
    dsn = "https://4f9e1c2b7a6d4e8f9a0b1c2d3e4f5a6b@o12345.ingest.sentry.io/678"
    monkeypatch.setenv("HIGGSCTL_SENTRY_DSN", dsn)
    text, data = cli("config", "show"), cli("config", "show", "--json")
    for output in (text.output, data.output):
        assert "4f9e1c2b7a6d4e8f9a0b1c2d3e4f5a6b" not in output
    doc = data.json()
    assert doc["observability"]["sentry_dsn"] == "htt…/678" and "HIGGSCTL_SENTRY_DSN" in doc["env_overrides"]
    assert "[observability]" in text.stdout and "sentry_traces_sample_rate = 0.0" in text.stdout
