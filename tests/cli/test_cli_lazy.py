"""The root imports a command's module only when that command runs; its help list comes
from the table in higgsctl/cli/commands.py, which must say what the commands say; and
`higgsctl --help` itself is drawn without Typer exactly as Typer draws it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer

from higgsctl.cli import COMMANDS, app
from higgsctl.cli.commands import OPTIONS
from higgsctl.cli.quick_help import short_help

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


def run_cli(args: list[str], columns: int, code: str = "from higgsctl.cli import main; main()") -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("columns", [1, 30, 51, 52, 53, 60, 72, 80, 81, 99, 100, 101, 102, 140, 400])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_the_quick_root_help_is_typers_at_every_width(columns, flag):
    typers = run_cli([flag], columns, "import sys; from higgsctl.cli.root import app; app(prog_name='higgsctl')")
    assert run_cli([flag], columns) == typers


def test_the_quick_root_help_imports_neither_typer_nor_the_engine():
    code = ("import sys; from higgsctl.cli import main; main(); "
            "print([m for m in ('typer', 'click', 'rich', 'higgsctl.engine') if m in sys.modules], file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, "--help"], capture_output=True, text=True, check=True)
    assert done.stderr.strip() == "[]" and "Commands:" in done.stdout


def test_the_root_options_table_is_what_typer_lists():
    root = fresh_root()
    ctx = root.make_context("higgsctl", ["--version"], resilient_parsing=True)
    records = [p.get_help_record(ctx) for p in root.get_params(ctx)]
    assert tuple(r for r in records if r) == OPTIONS


def test_short_help_shortens_as_click_does():
    from typer._click.utils import make_default_short_help

    texts = [lazy.help for lazy in COMMANDS.values()] + ["a b", "one. two", "word" * 30, "x " * 40, ""]
    for text in texts:
        for limit in range(1, 120):
            assert short_help(text, limit) == make_default_short_help(text, limit), (text, limit)
