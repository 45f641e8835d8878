"""The root command: --version, --help everywhere, models, the lazy faces, error rendering,
import hygiene and `sandbox serve` as a real process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import types

import httpx
import pytest
import typer

from higgsctl.cli import app


def all_commands(group, path=()):
    """Every command path of the click tree, e.g. ("credits", "grant")."""
    command = typer.main.get_command(group) if isinstance(group, typer.Typer) else group
    for name, sub in getattr(command, "commands", {}).items():
        yield (*path, name)
        yield from all_commands(sub, (*path, name))


def test_version(cli):
    from importlib.metadata import version

    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"higgsctl {version('higgsctl')}"


def test_every_command_has_help_with_an_example(cli):
    paths = list(all_commands(app))
    expected = {("generate",), ("models",), ("admin",), ("credits", "grant"), ("credits", "show"), ("credits", "ledger"),
                ("credits", "requests"), ("credits", "approve"), ("credits", "reject"), ("users", "list"),
                ("users", "show"), ("users", "block"), ("users", "unblock"), ("history",), ("history", "show"),
                ("config", "init"), ("config", "path"), ("config", "show"), ("config", "check"), ("db", "migrate"),
                ("db", "status"), ("sandbox", "serve"), ("bot", "run"), ("payments", "list"), ("payments", "refund"),
                ("payments", "reconcile")}
    assert expected <= set(paths)
    groups = {path[:-1] for path in paths if len(path) > 1}  # a group's help lists its commands
    assert {("credits",), ("users",), ("config",), ("db",), ("sandbox",), ("bot",)} <= groups
    for path in set(paths) - groups:
        result = cli(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example" in result.stdout, path
        assert "higgsctl " in result.stdout.split("Example", 1)[1], path
    # \b keeps example lines intact instead of re-wrapping them into one paragraph
    assert '\n    higgsctl generate "a red fox in fresh snow" --aspect 16:9\n' in cli("generate", "--help").stdout


def test_install_completion_is_offered(cli):
    assert "--install-completion" in cli("--help").stdout


def test_models(cli):
    data = cli("models", "--json").json()
    nano = next(m for m in data if m["key"] == "nano-banana")
    assert (nano["label"], nano["price"], nano["max_references"], nano["application"]) == ("Nano Banana", 50, 8, "nano-banana")
    assert "16:9" in nano["aspect_ratios"]
    table = cli("models")
    assert "seedream-4.5" in table.stdout and "bytedance/seedream/v4.5/text-to-image" in table.stdout


def test_bot_run_and_admin_import_their_face_lazily(cli, monkeypatch):
    calls = []
    monkeypatch.setitem(sys.modules, "higgsctl.bot.runner",
                        types.SimpleNamespace(run_bot=lambda s, sandbox: calls.append(("bot", s, sandbox))))
    monkeypatch.setitem(sys.modules, "higgsctl.tui.app", types.SimpleNamespace(run_admin=lambda s, actor: calls.append(("tui", s, None))))
    assert cli("bot", "run").exit_code == 0
    assert cli("bot", "run", "--sandbox").exit_code == 0
    assert cli("admin").exit_code == 0
    assert [(name, sandbox) for name, _, sandbox in calls] == [("bot", False), ("bot", True), ("tui", None)]
    assert all(settings.config_path.name == "config.toml" for _, settings, _ in calls)


def test_cli_import_is_light():
    """Importing the CLI must not import the engine, rich, the bot or the TUI."""
    code = ("import sys, higgsctl.cli; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rich', 'peewee', 'httpx', 'telegram', 'textual', 'PIL')"
            " or m.startswith(('higgsctl.engine', 'higgsctl.bot', 'higgsctl.tui'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("args", [["--help"], ["credits", "--help"], ["generate", "--help"]])
def test_help_stays_light(args):
    """--help must not import the engine, rich or pydantic (startup budget: 0.3 s)."""
    code = ("import sys\nfrom higgsctl.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'pydantic', 'peewee', 'httpx'}), "
            "[m for m in sys.modules if m.startswith('higgsctl.engine')], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    assert "Usage: " in done.stdout
    assert done.stderr.strip() == "[] []"


def test_engine_errors_render_as_one_line_and_debug_adds_the_traceback(cli):
    plain = cli("users", "show", "@nobody")
    assert plain.exit_code == 2
    assert plain.stderr.splitlines()[0] == "Error: No user @nobody."
    assert "Traceback" not in plain.stderr
    debug = cli("--debug", "users", "show", "@nobody")
    assert debug.exit_code == 2 and "Traceback" in debug.stderr


def test_unexpected_errors_exit_1_with_a_hint(cli, monkeypatch):
    from higgsctl.cli import models as models_module

    def boom():
        raise RuntimeError("kaboom")

    monkeypatch.setattr(models_module, "load_settings", boom)
    result = cli("models")
    assert result.exit_code == 1
    assert "Error: RuntimeError: kaboom" in result.stderr and "--debug" in result.stderr


def test_sandbox_serve_runs_until_ctrl_c(home):
    """The first line is printed once the server listens: it is the condition to wait on
    (no polling, no client timeouts that a busy machine can exceed). Port 0: the server picks
    a free port itself, so no other process can take it between our choice and its bind."""
    env = {**os.environ, "HIGGSCTL_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", "from higgsctl.cli import main; main()", "sandbox", "serve",
                             "--port", "0", "--service-time", "0.2"],
                            stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stderr.readline()
        url = re.search(r"Sandbox on (http://127\.0\.0\.1:[1-9][0-9]*) ", first)
        assert url and "key: sandbox:sandbox-secret" in first, first + proc.stderr.read()
        with httpx.Client(base_url=url[1], timeout=None) as client:
            missing = client.get("/requests/00000000-0000-0000-0000-000000000000/status",
                                 headers={"Authorization": "Key sandbox:sandbox-secret"})
            assert missing.status_code == 404
            wrong = client.get("/requests/x/status", headers={"Authorization": "Key a:b"})
            assert wrong.status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    assert proc.returncode == 0, rest
    assert "Sandbox stopped." in rest


def test_sandbox_serve_on_a_busy_port_says_so_before_announcing(home):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-c", "from higgsctl.cli import main; main()", "sandbox", "serve",
                               "--port", str(port)], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "HIGGSCTL_HOME": str(home)})
    assert done.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}" in done.stderr and "Sandbox on" not in done.stderr


def test_sandbox_serve_validates_options(cli):
    assert cli("sandbox", "serve", "--fault", "nope").exit_code == 2
    assert cli("sandbox", "serve", "--key", "only-key").exit_code == 2
    assert cli("sandbox", "serve", "--port", "-1").exit_code == 2
    assert cli("sandbox", "serve", "--port", "65536").exit_code == 2
