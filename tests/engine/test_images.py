"""Reference files are checked by pixel count before Pillow decodes them, then decoded whole:
every kind of hostile file gets a coded refusal (never Pillow's own exception or warning),
and no credit moves."""

from __future__ import annotations

import warnings
from dataclasses import replace

import pytest
from tests.hostile_images import EXPECTED, TOO_MANY, encoded, png_bomb

from higgsctl.cli import exit_codes
from higgsctl.engine import ConfigError, Engine, GenerationRequest, InvalidInput, load_settings
from higgsctl.engine.models import Generation
from higgsctl.engine.requests import check_reference


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_hostile_file_is_refused_with_its_code(settings, tmp_path, hostile_images, name):
    path = tmp_path / name
    path.write_bytes(hostile_images[name])
    with warnings.catch_warnings(record=True) as caught:
        with pytest.raises(InvalidInput) as info:
            check_reference(path, settings.limits)
    assert info.value.code == EXPECTED[name]
    assert info.value.params["name"] == name and repr(name) in info.value.message
    assert exit_codes.for_error(info.value) == exit_codes.USAGE
    assert not [w for w in caught if "decompression bomb" in str(w.message)]  # no noise on stderr either
    if info.value.code == TOO_MANY:
        assert info.value.params["limit"] == 50 and "the limit is 50 megapixels" in info.value.message


def test_the_pixel_limit_is_the_configured_one(settings, tmp_path):
    limits = replace(settings.limits, max_reference_megapixels=2)
    at_limit, over = tmp_path / "at.png", tmp_path / "over.png"
    at_limit.write_bytes(png_bomb(2000, 1000))
    over.write_bytes(png_bomb(2000, 1001))
    assert check_reference(at_limit, limits).content_type == "image/png"
    with pytest.raises(InvalidInput) as info:
        check_reference(over, limits)
    assert info.value.code == TOO_MANY
    assert "2000×1001 pixels (2.0 megapixels); the limit is 2 megapixels" in info.value.message
    assert check_reference(over, settings.limits).size == over.stat().st_size  # 2 MP is fine by default


@pytest.mark.parametrize("fmt, name, content_type", [
    ("JPEG", "photo.jpg", "image/jpeg"), ("PNG", "photo.png", "image/png"), ("GIF", "photo.gif", "image/gif"),
    ("WEBP", "photo.webp", "image/webp"),
    ("JPEG", "really-a-jpeg.png", "image/jpeg"), ("WEBP", "really-a-webp.gif", "image/webp"),
    ("PNG", "no-extension", "image/png"),
])
def test_good_images_pass_whatever_their_name_says(settings, tmp_path, fmt, name, content_type):
    path = tmp_path / name
    path.write_bytes(encoded(fmt, (640, 480), noise=True))
    assert check_reference(path, settings.limits).content_type == content_type


async def test_a_refused_reference_moves_no_credit(settings, tmp_path, hostile_images):
    engine = Engine(replace(settings, higgsfield=replace(settings.higgsfield, api_key="k", api_secret="s")))
    try:
        engine.users.register(1)
        good = tmp_path / "good.png"
        good.write_bytes(encoded("PNG"))
        for name in ("bomb.png", "truncated.jpg"):
            bad = tmp_path / name
            bad.write_bytes(hostile_images[name])
            with pytest.raises(InvalidInput):
                await engine.generations.create(GenerationRequest(1, "nano-banana", "a fox", "1:1", references=(good, bad)))
        assert engine.credits.balance(1) == 10000 and Generation.select().count() == 0
    finally:
        await engine.aclose()


@pytest.mark.parametrize("value", ["0", "-5", "90", "1000"])
def test_the_pixel_limit_must_be_within_pillows(write_config, value):
    write_config(f"[limits]\nmax_reference_megapixels = {value}\n")
    with pytest.raises(ConfigError, match="max_reference_megapixels"):
        load_settings()
