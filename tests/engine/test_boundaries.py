"""The engine stays free of UI libraries; migrations build the schema from nothing; logs
never carry secrets."""

import logging
import subprocess
import sys

from higgsctl.engine import Engine
from higgsctl.engine.db import migration_runner
from higgsctl.engine.redaction import Redactor

UI_MODULES = ("typer", "rich", "telegram", "textual", "click")


def test_engine_imports_no_ui_library():
    code = (
        "import sys, higgsctl.engine, higgsctl.sandbox, higgsctl.launch, higgsctl.engine.logs\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {UI_MODULES!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_migrations_build_the_schema_from_an_empty_database(settings):
    engine = Engine(settings)
    runner = migration_runner(engine.db)
    assert all(m.applied for m in runner.status())
    assert {"user", "generation", "ledger_entry", "top_up_request"} <= set(engine.db.get_tables())
    assert runner.up() == []  # idempotent at every start-up
    engine.close()


def test_log_lines_and_tracebacks_are_redacted(settings, caplog):
    from dataclasses import replace

    s = replace(settings, telegram=replace(settings.telegram, token="123456:SECRET-TOKEN"),
                higgsfield=replace(settings.higgsfield, api_key="kid", api_secret="very-secret-value"))
    handler = logging.Handler()
    records = []
    handler.emit = lambda record: records.append(handler.format(record))
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(Redactor.from_settings(s).log_filter())
    log = logging.getLogger("test.redact")
    log.addHandler(handler)
    try:
        log.warning("GET https://api.telegram.org/bot%s/getMe", "123456:SECRET-TOKEN")
        try:
            raise RuntimeError("auth Key kid:very-secret-value rejected")
        except RuntimeError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    text = "\n".join(records)
    assert "SECRET-TOKEN" not in text and "very-secret-value" not in text
    assert "bot***/getMe" in text
