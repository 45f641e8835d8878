"""The deploy files, checked as far as this machine can without a docker daemon: the systemd
unit with systemd-analyze, compose.yaml parsed and cross-checked with the Dockerfile, and the
image's entry command and healthcheck run as plain processes against the Telegram emulator."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.fakes.telegram_emulator import TelegramEmulator

ROOT = Path(__file__).parents[2]
UNIT = ROOT / "deploy" / "higgsctl-bot.service"
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


def dockerfile() -> dict[str, list[str]]:
    """Instruction → its arguments (continuation lines joined), in order of appearance."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            found.setdefault(word.upper(), []).append(rest.strip())
    return found


def exec_form(value: str) -> list[str]:
    return json.loads(value)


def test_the_dockerfile_builds_a_slim_non_root_image_with_a_healthcheck():
    d = dockerfile()
    assert d["FROM"] == ["python:3.11-slim"]
    assert d["USER"] == ["higgsctl"] and "useradd --system --uid 10001" in d["RUN"][0]
    assert exec_form(d["ENTRYPOINT"][0]) + exec_form(d["CMD"][0]) == ["higgsctl", "bot", "run"]
    health = d["HEALTHCHECK"][0]
    assert exec_form(health.split(" CMD ", 1)[1]) == ["higgsctl", "bot", "status"]
    assert d["VOLUME"] == ['["/data"]'] and "HIGGSCTL_HOME=/data" in d["ENV"][0]
    for copy in d["COPY"]:
        *sources, _ = copy.split()
        assert all((ROOT / s).exists() for s in sources), copy
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"higgsctl", "pyproject.toml", "README.md"} & set(ignored)


def test_compose_runs_the_images_command_next_to_postgres():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot, db = compose["services"]["bot"], compose["services"]["db"]
    d = dockerfile()
    assert bot["command"] == exec_form(d["CMD"][0]) and bot["build"] == "."
    assert bot["environment"]["HIGGSCTL_DATABASE_URL"].startswith("postgresql://higgsctl:")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy" and "pg_isready" in db["healthcheck"]["test"][1]
    assert {v.split(":")[0] for v in bot["volumes"] + db["volumes"]} == set(compose["volumes"])
    assert (ROOT / (bot["env_file"] + ".example")).is_file()  # what the operator copies
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["metrics"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    [target] = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    assert target == f"bot:{bot['environment']['HIGGSCTL_METRICS_PORT']}"
    assert bot["environment"]["HIGGSCTL_METRICS_HOST"] == "0.0.0.0"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_the_systemd_unit_verifies(tmp_path):
    def verify(text: str) -> subprocess.CompletedProcess:
        unit = tmp_path / "higgsctl-bot.service"
        unit.write_text(text)
        return subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)

    env = tmp_path / "env"
    env.write_text((ROOT / "deploy" / "higgsctl.env.example").read_text())
    text = UNIT.read_text().replace("/opt/higgsctl/bin/higgsctl", str(Path(sys.executable).with_name("higgsctl")))
    text = text.replace("/etc/higgsctl/higgsctl.env", str(env))
    done = verify(text)
    assert done.returncode == 0, done.stderr
    assert verify(text.replace("ExecStart=/", "ExecStart=")).returncode != 0  # the check can fail


async def test_the_images_command_and_healthcheck_as_plain_processes(tmp_path):
    """What the container runs: ENTRYPOINT + CMD with the env file's variables, then the
    HEALTHCHECK command while it runs (healthy) and after SIGTERM (unhealthy)."""
    d = dockerfile()
    command = exec_form(d["ENTRYPOINT"][0]) + exec_form(d["CMD"][0])
    health = exec_form(d["HEALTHCHECK"][0].split(" CMD ", 1)[1])
    script = str(Path(sys.executable).with_name("higgsctl"))
    emu = TelegramEmulator(token=TOKEN)
    await emu.start()
    home = tmp_path / "data"
    home.mkdir()
    (home / "config.toml").write_text(f'[telegram]\napi_base_url = "{emu.url}"\n')
    env = {**os.environ, "HIGGSCTL_HOME": str(home), "HIGGSCTL_TELEGRAM_TOKEN": TOKEN, "HF_KEY": "id:secret"}

    def run_health() -> int:
        return subprocess.run([script, *health[1:]], env=env, capture_output=True).returncode

    proc = subprocess.Popen([script, *command[1:]], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if await asyncio.to_thread(run_health) == 0:
                break
            assert proc.poll() is None, proc.communicate()[1]
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the healthcheck never passed")
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(proc.communicate, timeout=60)
        assert proc.returncode == 0, err
        assert await asyncio.to_thread(run_health) == 1  # stopped: unhealthy
        assert "id:secret" not in err and TOKEN not in err
    finally:
        if proc.poll() is None:
            proc.kill()
        await emu.stop()


def test_the_readme_documents_deploying():
    text = (ROOT / "README.md").read_text()
    assert "## Deploying" in text
    for name in ("compose.yaml", "deploy/higgsctl-bot.service", "deploy/higgsctl.env.example", "higgsctl bot status"):
        assert name in text, name
