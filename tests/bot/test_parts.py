"""The bot's pure parts: texts, keyboards, the photo preview, and start-up checks."""

from __future__ import annotations

import io
import string
from dataclasses import replace

import pytest
from PIL import Image

from higgsctl.bot import callbacks, keyboards
from higgsctl.bot.app import build_application
from higgsctl.bot.drafts import new_id
from higgsctl.bot.media import photo_bytes
from higgsctl.bot.runner import _webhook_args
from higgsctl.bot.texts import EN, RU, language_for, t
from higgsctl.engine import ConfigError, Engine

from .harness import ALICE as ALICE_ID
from .harness import TOKEN


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_text_exists_in_both_languages_with_the_same_placeholders():
    assert EN.keys() == RU.keys()
    for key in EN:
        assert fields(EN[key]) == fields(RU[key]), key


def test_language_for_telegram_codes():
    assert language_for("ru") == "ru" and language_for("uk-UA") == "ru"
    assert language_for("en-GB") == "en" and language_for(None) == "en" and language_for("de") == "en"
    assert t("de", "b_skip") == "Skip ➡"  # unknown language: English


def all_data(markup) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]


def test_callback_data_is_short_and_names_what_it_acts_on(settings):
    specs = list(settings.models.values())
    draft = new_id()
    wizard = [keyboards.models("en", specs, draft), keyboards.cancel_only("en", draft),
              keyboards.refs("en", draft, True), keyboards.refs("en", draft, False),
              keyboards.aspects("en", specs[0].aspect_ratios, draft), keyboards.confirm("en", 50, draft),
              *(keyboards.card("en", draft, total=4 * s.price, count=4, spec=s, options=s.option_values(), styles=True,
                               max_count=4) for s in specs),
              keyboards.models("en", specs, draft, back=True), keyboards.aspects("en", ("21:9",), draft, current="21:9"),
              keyboards.styles("en", [(n, st.label("ru")) for n, st in settings.styles.items()], "anime", draft),
              *(keyboards.option_values("en", n, v, v[0], draft) for s in specs for n, v in s.options.items())]
    markups = [*wizard, keyboards.main_menu("en"),
               keyboards.result("en", 123456789, 50), keyboards.topup_decision("en", 987654),
               keyboards.other_aspects(123456789, specs[0].aspect_ratios, "1:1"),
               keyboards.history("en", 1, 3, [(7, True), (8, False)]), keyboards.languages()]
    for markup in markups:
        for data in all_data(markup):
            assert len(data.encode()) <= 64  # Telegram's limit
    for markup in wizard:  # every wizard button names its draft
        assert all(data.endswith(f":{draft}") and callbacks.draft_of(data)[1] == draft for data in all_data(markup))
    assert all_data(keyboards.result("en", 5, 50)) == ["rg:5", "oa:5", "ur:5"]
    assert all_data(keyboards.topup_decision("en", 3)) == ["tu:a:3", "tu:r:3"]
    assert all_data(keyboards.history("en", 1, 3, [(7, True), (8, False)])) == ["hi:7", "h:0", "h:2"]
    assert f"m:seedream-4.5:{draft}" in all_data(keyboards.models("en", specs, draft))
    assert callbacks.draft_of(f"a:16:9:{draft}") == ("16:9", draft)
    assert callbacks.draft_of(f"go:{draft}") == ("", draft)


def test_job_status_offers_cancel_only_while_cancellable():
    assert all_data(keyboards.job_status("en", 4, "queued")) == ["c:4"]
    assert keyboards.job_status("en", 4, "in_progress") is None
    assert keyboards.job_status("en", 4, "completed") is None


def save(image: Image.Image, path, fmt="PNG"):
    image.save(path, fmt)
    return path


def test_photo_within_limits_is_sent_as_is(tmp_path):
    path = save(Image.new("RGB", (1024, 768), (10, 20, 30)), tmp_path / "ok.png")
    assert photo_bytes(path) == path.read_bytes()


@pytest.mark.parametrize("size", [(7000, 4000), (4200, 200)])
def test_photo_beyond_telegram_limits_becomes_a_jpeg_preview(tmp_path, size):
    path = save(Image.new("RGB", size, (200, 100, 50)), tmp_path / "big.png")
    data = photo_bytes(path)
    with Image.open(io.BytesIO(data)) as preview:
        assert preview.format == "JPEG"
        w, h = preview.size
        assert w + h <= 10000 and max(w, h) / min(w, h) <= 20 and len(data) <= 10 * 1024 * 1024


def test_build_application_needs_a_token(settings):
    engine = Engine(settings)
    try:
        with pytest.raises(ConfigError, match="No bot token"):
            build_application(settings, engine)
        configured = replace(settings, telegram=replace(settings.telegram, token=TOKEN, api_base_url="http://127.0.0.1:9/"))
        app = build_application(configured, engine)
        assert app.bot.base_url == f"http://127.0.0.1:9/bot{TOKEN}"
        assert app.bot.base_file_url == f"http://127.0.0.1:9/file/bot{TOKEN}"
    finally:
        engine.close()


def test_webhook_mode_explains_what_is_missing(settings):
    configured = replace(settings, telegram=replace(settings.telegram, mode="webhook", webhook_url="http://x"))
    try:
        import tornado  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="webhooks extra"):
            _webhook_args(configured)
        return
    with pytest.raises(ConfigError, match="https://"):
        _webhook_args(configured)
    good = replace(configured, telegram=replace(configured.telegram, webhook_url="https://bot.example.com/tg/hook"))
    assert _webhook_args(good)["url_path"] == "tg/hook"
