from pathlib import Path

import pytest

from higgsctl.engine import ConfigError, load_settings
from higgsctl.engine.catalog import default_catalog
from higgsctl.engine.config import HiggsfieldSettings
from higgsctl.engine.packs import PaymentSettings

EXAMPLE = Path(__file__).parents[2] / "config.example.toml"


def test_defaults_without_a_file(home):
    s = load_settings()
    assert s.config_path == home / "config.toml"
    assert s.database_url == f"sqlite:///{home / 'higgsctl.db'}"
    assert s.storage_path == home / "storage"
    assert s.credits.initial == 10000 and s.credits.topup_amount == 2500
    assert set(s.models) == {"nano-banana", "seedream-4.5"}
    assert s.models["nano-banana"].max_references == 8
    assert s.models["seedream-4.5"].max_references == 14


def test_example_file_documents_the_defaults(write_config):
    s = load_settings(write_config(EXAMPLE.read_text()))
    assert s.higgsfield == HiggsfieldSettings()
    assert s.models == default_catalog()
    assert s.payments == PaymentSettings()


def test_every_default_key_is_documented_in_the_example():
    text = EXAMPLE.read_text()
    from dataclasses import fields

    from higgsctl.engine.config import (
        AlertSettings, CreditSettings, LimitSettings, ObservabilitySettings, TelegramSettings,
    )

    for cls in (HiggsfieldSettings, TelegramSettings, CreditSettings, LimitSettings, AlertSettings,
                ObservabilitySettings):
        for f in fields(cls):
            assert f"\n{f.name} =" in text, f"{cls.__name__}.{f.name} is not in config.example.toml"
    for key in ("url", "path", "level"):
        assert f"{key} =" in text


def test_sdk_env_var_hf_key(monkeypatch):
    monkeypatch.setenv("HF_KEY", "kid:ksecret:with-colon")
    s = load_settings()
    assert (s.higgsfield.api_key, s.higgsfield.api_secret) == ("kid", "ksecret:with-colon")


def test_sdk_env_vars_key_and_secret(monkeypatch, write_config):
    write_config('[higgsfield]\napi_key = "file"\napi_secret = "file-secret"\n')
    monkeypatch.setenv("HF_API_KEY", "envkey")
    monkeypatch.setenv("HF_API_SECRET", "envsecret")
    s = load_settings()
    assert (s.higgsfield.api_key, s.higgsfield.api_secret) == ("envkey", "envsecret")


def test_telegram_token_from_env(monkeypatch):
    monkeypatch.setenv("HIGGSCTL_TELEGRAM_TOKEN", "1:abc")
    assert load_settings().telegram.token == "1:abc"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[higgsfield]\nmax_concurrent = 'four'\n", "[higgsfield] max_concurrent must be an integer"),
        ("[higgsfield]\napi_kee = 'x'\n", "unknown key [higgsfield] api_kee"),
        ("[telegram]\nadmin_ids = ['me']\n", "[telegram] admin_ids must be a list of integers"),
        ("[bogus]\nx = 1\n", "unknown section [bogus]"),
        ("[database]\nurl = 'oracle://x'\n", "[database] url has an unknown scheme"),
        ("[higgsfield]\nbase_url = 'ftp://x'\n", "[higgsfield] base_url must start with http"),
        ("[credits]\ninitial = -5\n", "[credits] initial must not be negative"),
        ("[models.x]\nlabel = 'X'\n", "[models.x] application is missing"),
        ("[models.x]\nlabel = 'X'\napplication = 'x'\nreference_field = 'refs'\n", "reference_field must be one of"),
        ("[models.x]\nlabel = 'X'\napplication = 'x'\nprice = 0\n", "price must be positive"),
        ("this is = not toml [", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key_and_the_file(write_config, text, needle):
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert needle in info.value.message
    assert str(path) in info.value.message


def test_custom_catalog_replaces_defaults(write_config):
    write_config(
        '[models.soul]\nlabel = "Soul"\napplication = "higgsfield-ai/soul/standard"\nprice = 75\n'
        'aspect_ratios = ["1:1"]\nreference_field = "image_urls"\n'
    )
    s = load_settings()
    assert list(s.models) == ["soul"]
    assert s.models["soul"].price == 75
    assert s.models["soul"].arguments_for("p", "1:1", ["u"]) == {"prompt": "p", "aspect_ratio": "1:1", "image_urls": ["u"]}


def test_payments_packs_and_switches(write_config):
    s = load_settings(write_config('[payments]\nstars = true\ntopup_requests = false\nterms = { en = "T" }\n'
                                   '[payments.packs.mini]\nstars = 1\ncredits = 10\nlabel = { ru = "Мини" }\n'))
    assert s.payments.stars and not s.payments.topup_requests
    mini = s.payments.pack("mini")
    assert list(s.payments.packs) == ["mini"] and (mini.label("ru"), mini.label("en")) == ("Мини", "mini")
    assert s.payments.text("terms", "ru") == "T"  # English when the language has none
    assert s.payments.support == PaymentSettings().support


@pytest.mark.parametrize("body", [
    "[payments]\nstars = 1\n", "[payments]\nshop = true\n", "[payments.packs.x]\nstars = 0\ncredits = 5\n",
    "[payments.packs.x]\nstars = 10001\ncredits = 5\n", "[payments.packs.x]\nstars = 5\n",
    "[payments.packs.x]\nstars = 5\ncredits = true\n", "[payments.packs.\"Big Pack\"]\nstars = 5\ncredits = 5\n",
    "[payments.packs.x]\nstars = 5\ncredits = 5\nprice = 3\n", "[payments]\nterms = { en = \"\" }\n",
    "[payments.packs]\n", "[payments.packs.x]\nstars = 5\ncredits = 5\nlabel = { en = \"%s\" }\n" % ("x" * 41),
])
def test_payments_config_errors_name_the_key(write_config, body):
    with pytest.raises(ConfigError) as info:
        load_settings(write_config(body))
    assert "payments" in info.value.message
