"""`higgsctl generate --ref` with hostile files: one clear error, exit 2, nothing held."""

from __future__ import annotations

import pytest
from tests.hostile_images import EXPECTED

from higgsctl.engine import HistoryFilter

from .conftest import make_png

FAST = ("--sandbox", "--yes", "--sandbox-service-time", "0.6")
FIRST_LINE = {
    "bomb.png": "Error: Reference 'bomb.png' is 400 megapixels; the limit is 50 megapixels.",
    "warned.jpg": "Error: Reference 'warned.jpg' is 10000×10000 pixels (100.0 megapixels); the limit is 50",
    "over-limit.png": "Error: Reference 'over-limit.png' is 8000×8000 pixels (64.0 megapixels); the limit is",
    "bomb.webp": "Error: Reference 'bomb.webp' is 268 megapixels; the limit is 50 megapixels.",
    "truncated.jpg": "Error: Reference 'truncated.jpg' is damaged or incomplete",
    "empty.png": "Error: Reference 'empty.png' is not an image.",
}


@pytest.mark.parametrize("name", sorted(FIRST_LINE))
def test_a_hostile_reference_is_refused_in_one_line_and_exits_2(cli, engine, tmp_path, hostile_images, name):
    engine.users.operator()
    good = make_png(tmp_path / "good.png")
    bad = tmp_path / name
    bad.write_bytes(hostile_images[name])
    result = cli("generate", "a fox", "--ref", good, "--ref", bad, *FAST)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(FIRST_LINE[name]), result.stderr
    assert len(lines) <= 2 and "Traceback" not in result.output  # the error, then at most a hint
    assert "decompression" not in result.output.lower()  # Pillow's own warning never shows
    assert result.stdout == ""
    assert engine.history.list(HistoryFilter()) == [] and engine.credits.balance(0) == 10000


def test_every_kind_of_hostile_file_exits_2(cli, engine, tmp_path, hostile_images):
    engine.users.operator()
    for name in EXPECTED:
        (tmp_path / name).write_bytes(hostile_images[name])
        result = cli("generate", "a fox", "--ref", tmp_path / name, *FAST)
        assert result.exit_code == 2 and f"'{name}'" in result.stderr, (name, result.output)
    assert engine.history.list(HistoryFilter()) == [] and engine.credits.balance(0) == 10000
