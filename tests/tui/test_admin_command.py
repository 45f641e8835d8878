"""`higgsctl admin` as the operator runs it, in a real process (Textual's headless driver
through TEXTUAL_DRIVER, keys through TEXTUAL_PRESS): an error nothing caught is logged and
exits non-zero with one line on stderr; hostile text in every field changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import hold

HEADLESS = "textual.drivers.headless_driver:HeadlessDriver"


def run_admin_command(press: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "TEXTUAL_DRIVER": HEADLESS}
    if press:
        env["TEXTUAL_PRESS"] = press
    return subprocess.run(
        [sys.executable, "-c", "from higgsctl.cli import main; main()", "admin"],
        capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def log_text(settings) -> str:
    path = settings.log_dir / "higgsctl.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_an_unexpected_error_is_logged_and_exits_non_zero(engine, settings, seed):
    # A row edited by hand: its references are not JSON, so loading the overview raises.
    engine.db.execute_sql('UPDATE generation SET "references" = ? WHERE id = ?', ("{not json", seed.completed))
    done = run_admin_command()
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert "The admin TUI stopped on an unexpected error: JSONDecodeError" in done.stderr
    assert "Traceback" not in done.stderr  # tracebacks only with --debug; the log has it
    log = log_text(settings)
    assert "ERROR higgsctl.tui.app: The admin TUI stopped on an unexpected error" in log
    assert "Traceback" in log and "JSONDecodeError" in log


def test_hostile_text_in_every_field_opens_and_quits_cleanly(engine, settings):
    hostile = "[/] [/bold] [red]x[/red] [@click=app.quit]q[/] [link=x]y[/link] \x1b[2J"
    engine.users.register(7, first_name=hostile, last_name=hostile)
    engine.users.register(8, username=hostile)
    generation = hold(engine, 7, hostile).id
    engine.generations.finish(generation, "failed", error=hostile)
    engine.credits.grant(7, 5, actor=hostile, note=hostile)
    engine.topups.reject(engine.topups.request(7).id, actor=hostile)
    engine.topups.request(8)
    done = run_admin_command(press="2,3,4,1,q")
    assert (done.returncode, done.stderr) == (0, "")
    assert " ERROR " not in log_text(settings)
