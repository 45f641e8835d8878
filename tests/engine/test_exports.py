"""Exports: every row once across pages, CSV defused against formulas, JSON parseable, the
--since cut, and an audit entry per export."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from higgsctl.engine import AuditFilter, ExportOptions, InvalidInput
from higgsctl.engine import exports as exports_module
from higgsctl.engine.models import User, utcnow

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", "=HYPERLINK(\"http://x\")", "[b]x[/b]",
           "Ёлка 🎄", "a,b\"c\nd", "'quoted"]


@pytest.fixture
def engine(any_engine):
    for i, name in enumerate(HOSTILE, start=1):
        any_engine.users.register(i, username=None, first_name=name)
    return any_engine


def export(engine, kind, fmt, **kwargs) -> str:
    out = io.StringIO()
    engine.exports.write(ExportOptions(kind, fmt, **kwargs), out, actor="cli:ops")
    return out.getvalue()


def test_csv_cells_are_defused_and_round_trip(engine, monkeypatch):
    monkeypatch.setattr(exports_module, "PAGE", 3)  # several pages: each row once, in id order
    rows = list(csv.DictReader(io.StringIO(export(engine, "users", "csv"), newline="")))
    assert [int(r["id"]) for r in rows] == list(range(1, len(HOSTILE) + 1))
    for row, name in zip(rows, HOSTILE):
        expected = "'" + name if name[0] in "=+-@\t\r" else name
        assert row["first_name"] == expected
    assert rows[0]["blocked"] == "false" and rows[0]["balance"] == "10000"


def test_json_is_one_array_of_the_raw_values(engine, monkeypatch):
    monkeypatch.setattr(exports_module, "PAGE", 4)
    data = json.loads(export(engine, "users", "json"))
    assert [d["first_name"] for d in data] == HOSTILE  # JSON is data: nothing prefixed
    ledger = json.loads(export(engine, "ledger", "json"))
    assert {(e["user_id"], e["reason"], e["amount"]) for e in ledger} == {(i, "signup", 10000) for i in range(1, 12)}
    assert json.loads(export(engine, "generations", "json")) == []
    assert next(csv.reader(io.StringIO(export(engine, "generations", "csv"))))[:3] == ["id", "user_id", "model"]


def test_since_cuts_older_rows_and_each_export_is_audited(engine):
    User.update(created_at=utcnow() - timedelta(days=10)).where(User.id <= 5).execute()
    recent = json.loads(export(engine, "users", "json", since=utcnow() - timedelta(days=1)))
    assert [u["id"] for u in recent] == list(range(6, 12))
    [entry] = engine.audit.list(AuditFilter(action="export"))
    assert entry.target == "export:users" and entry.after["rows"] == 6 and entry.after["format"] == "json"


@pytest.mark.parametrize("kind, fmt", [("payments_x", "csv"), ("users", "xlsx")])
def test_unknown_kind_or_format_writes_nothing(engine, kind, fmt):
    out = io.StringIO()
    with pytest.raises(InvalidInput):
        engine.exports.write(ExportOptions(kind, fmt), out, actor="cli:ops")
    assert out.getvalue() == "" and engine.audit.count(AuditFilter(action="export")) == 0
