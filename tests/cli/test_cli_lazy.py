"""The root imports a command's module only when that command runs; its help list comes
from the table in higgsctl/cli/__init__.py, which must say what the commands say."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer

from higgsctl.cli import COMMANDS, app

MODULES = sorted({f"higgsctl.cli.{lazy.module}" for lazy in COMMANDS.values()})


def fresh_root():
    return typer.main.get_command(app)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_table_lists_each_command_as_its_own_help_does(name):
    root = fresh_root()
    assert name in root.commands and name not in root.commands.loaded  # listed, not built
    listed = root.commands.preview(name)
    built = root.commands[name]
    assert built.name == name
    for limit in range(10, 201):
        assert listed.get_short_help_str(limit) == built.get_short_help_str(limit)


def help_text(root, width, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", width)
    with pytest.raises(SystemExit):
        root.main(["--help"], prog_name="higgsctl")
    return capsys.readouterr().out


@pytest.mark.parametrize("width", ["40", "80", "100", "200"])
def test_root_help_is_the_same_before_and_after_every_command_is_loaded(width, capsys, monkeypatch):
    lazy = help_text(fresh_root(), width, capsys, monkeypatch)
    root = fresh_root()
    for name in COMMANDS:
        root.commands[name]
    assert lazy == help_text(root, width, capsys, monkeypatch)
    assert "Commands:" in lazy and all(f"  {name} " in lazy for name in COMMANDS)


def loaded_after(*args: str) -> list[str]:
    code = ("import sys\nfrom higgsctl.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {MODULES!r} if m in sys.modules], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    assert "Usage: " in done.stdout + done.stderr  # with no arguments the help goes to stderr
    return eval(done.stderr.strip().splitlines()[-1])


def test_root_help_imports_no_command_module():
    assert loaded_after("--help") == []
    assert loaded_after() == []  # no arguments: the help too


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_command_imports_only_its_own_module(name):
    assert loaded_after(name, "--help") == [f"higgsctl.cli.{COMMANDS[name].module}"]


def test_a_mistyped_command_still_gets_a_suggestion(cli):
    result = cli("credit")
    assert result.exit_code == 2 and "Did you mean 'credits'?" in result.stderr
