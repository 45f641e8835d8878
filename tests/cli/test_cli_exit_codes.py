"""Exit codes live in the CLI (cli/exit_codes.py): every engine error maps to the status the
README documents, decided by the error's class, never by an attribute of the engine."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from higgsctl.cli import exit_codes
from higgsctl.engine import errors
from higgsctl.engine.amounts import AmountError

README = Path(__file__).parents[2] / "README.md"
DOCUMENTED = {
    "ConfigError": 3, "InvalidInput": 2, "NotFound": 2, "TopUpPending": 2, "TopUpAlreadyDecided": 2,
    "InsufficientCredits": 5, "UserBlocked": 5, "HiggsctlError": 1, "HiggsfieldAuthError": 3,
    "RefundRefused": 5, "RefundFailed": 4, "RefundPending": 4,
}


def engine_errors() -> list[type[errors.HiggsctlError]]:
    return [cls for _, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, errors.HiggsctlError)]


def make(cls):
    if cls is errors.InsufficientCredits:
        return cls(10, 5)
    if cls is errors.TopUpAlreadyDecided:
        return cls(7, "approved", "cli")
    if cls is errors.RefundRefused:
        return cls("stx1", 2500, 10)
    return cls("message")


@pytest.mark.parametrize("cls", [*engine_errors(), AmountError], ids=lambda cls: cls.__name__)
def test_every_engine_error_exits_with_its_documented_code(cls):
    expected = DOCUMENTED.get(cls.__name__, exit_codes.API if issubclass(cls, errors.HiggsfieldError) else None)
    if expected is None:  # a subclass of a documented one (AmountError is invalid input)
        expected = next(DOCUMENTED[base.__name__] for base in cls.__mro__ if base.__name__ in DOCUMENTED)
    assert exit_codes.for_error(make(cls)) == expected
    assert not hasattr(cls, "exit_code")


@pytest.mark.parametrize("exc", [ValueError("x"), KeyboardInterrupt(), OSError(5, "io")], ids=type)
def test_anything_else_is_a_generic_failure(exc):
    assert exit_codes.for_error(exc) == exit_codes.GENERIC


def test_the_readme_table_lists_the_cli_codes():
    text = README.read_text(encoding="utf-8")
    for code, meaning in exit_codes.TABLE:
        assert re.search(rf"^\|\s*`?{code}`?\s*\|", text, re.M), (code, meaning)
