"""Preferences and time zones: what /settings stores is checked against the catalog and the
time-zone database on the way in and out, and what a typed prompt starts with follows from
it. A real SQLite engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from higgsctl.engine import InvalidInput, NotFound
from higgsctl.engine.models import User
from higgsctl.engine.preferences import Preferences
from higgsctl.engine.zones import format_local, parse_zone, zone_label

ALICE = 42


@pytest.fixture
def alice(engine):
    engine.users.register(ALICE, first_name="Alice")
    return ALICE


@pytest.mark.parametrize(("typed", "zone"), [
    ("Europe/Moscow", "Europe/Moscow"), ("europe/MOSCOW", "Europe/Moscow"), ("  Asia/Tashkent ", "Asia/Tashkent"),
    ("tashkent", "Asia/Tashkent"), ("New York", "America/New_York"), ("new_york", "America/New_York"),
    ("America/New York", "America/New_York"), ("Kyiv", "Europe/Kyiv"), ("+3", "Etc/GMT-3"), ("3", None),
    ("UTC-5", "Etc/GMT+5"), ("utc+3", "Etc/GMT-3"), ("GMT +03:00", "Etc/GMT-3"), ("UTC\u22125", "Etc/GMT+5"),
    ("-12", "Etc/GMT+12"), ("+14", "Etc/GMT-14"), ("+0300", "Etc/GMT-3"), ("Etc/GMT-3", "Etc/GMT-3"),
    ("UTC", None), ("utc", None), ("GMT", None), ("Etc/UTC", None), ("Zulu", None), ("UTC+0", None), ("-0", None),
])
def test_typed_zones_read_as_iana_names(typed, zone):
    if typed == "3":  # a bare number is not an offset: it names no zone
        with pytest.raises(InvalidInput):
            parse_zone(typed)
        return
    assert parse_zone(typed) == zone


@pytest.mark.parametrize(("typed", "code"), [
    ("Mars/Base", "timezone_unknown"), ("", "timezone_unknown"), ("   ", "timezone_unknown"),
    ("+15", "timezone_unknown"), ("-13", "timezone_unknown"), ("+5:30", "timezone_offset"), ("+0545", "timezone_offset"),
    ("../../etc/passwd", "timezone_unknown"), ("/etc/localtime", "timezone_unknown"), ("localtime", "timezone_unknown"),
    ("Factory", "timezone_unknown"), ("Europe/Moscow\x00", "timezone_unknown"), ("Europe/Moscow/..", "timezone_unknown"),
    ("<b>Europe/Moscow</b>", "timezone_unknown"), ("\u202eEurope/Moscow", "timezone_unknown"),
    ("Еurope/Moscow", "timezone_unknown"),  # a Cyrillic Е
    ("+٣", "timezone_unknown"), ("UTC+３", "timezone_unknown"), ("Europe/Moscow" * 10, "timezone_unknown"),
    ("x" * 100_000, "timezone_unknown"), ("Europe/" + "a" * 60, "timezone_unknown"), ("MSK", "timezone_unknown"),
])
def test_anything_else_is_refused_with_a_code_and_a_printable_short_echo(typed, code):
    with pytest.raises(InvalidInput) as caught:
        parse_zone(typed)
    assert caught.value.code == code
    shown = caught.value.params["zone"]
    assert len(shown) <= 65 and shown.isprintable()


def test_times_are_shown_in_the_zone_with_its_letters_or_offset():
    late = datetime(2026, 12, 5, 23, 30)  # naive UTC, as the database keeps it
    summer = datetime(2026, 7, 1, 12, 0)
    assert format_local(late, None) == "2026-12-05 23:30 UTC"
    assert format_local(late, "Asia/Tashkent") == "2026-12-06 04:30 UTC+5"  # the next day
    assert format_local(late, "Asia/Kolkata") == "2026-12-06 05:00 IST"
    assert format_local(late, "Asia/Kathmandu") == "2026-12-06 05:15 UTC+5:45"
    assert format_local(late, "America/New_York") == "2026-12-05 18:30 EST"
    assert format_local(summer, "America/New_York") == "2026-07-01 08:00 EDT"  # daylight saving
    assert format_local(late, "Etc/GMT+5") == "2026-12-05 18:30 UTC-5"
    assert format_local(late, "No/Such_Zone") == "2026-12-05 23:30 UTC"  # gone from tzdata: UTC, never an error
    assert format_local(late, "Europe/Moscow", "%Y-%m-%d") == "2026-12-06 MSK"
    assert zone_label("Europe/London", late) == "Europe/London (UTC+0)"
    assert zone_label("Etc/GMT-3", late) == "UTC+3" and zone_label(None, late) == "UTC"


def test_defaults_are_checked_against_the_catalog(engine, alice):
    prefs = engine.preferences
    assert prefs.get(alice) == prefs.get(alice) and prefs.get(alice).model is None
    assert prefs.get(alice).confirm_repeats is True and prefs.get(alice).timezone is None
    assert prefs.set_model(alice, "seedream-4.5").model == "seedream-4.5"
    assert prefs.set_aspect(alice, "21:9").aspect == "21:9"
    for hostile in ("no-such-model", "", " seedream-4.5", "SEEDREAM-4.5", "seedream-4.5\x00", "x" * 1000):
        with pytest.raises(InvalidInput) as caught:
            prefs.set_model(alice, hostile)
        assert caught.value.code == "unknown_model" and len(caught.value.params["model"]) <= 40
    for hostile in ("2:1", "", "16:9 ", "１:１", "1:1:1"):
        with pytest.raises(InvalidInput) as caught:
            prefs.set_aspect(alice, hostile)
        assert caught.value.code == "aspect_unsupported" and caught.value.params["model"] == "Seedream 4.5"
    assert (prefs.get(alice).model, prefs.get(alice).aspect) == ("seedream-4.5", "21:9")  # nothing changed
    with pytest.raises(NotFound):
        prefs.set_model(999, "nano-banana")


def test_changing_the_model_clears_an_aspect_it_does_not_offer(settings, alice, engine):
    models = dict(settings.models)
    models["square"] = replace(models["nano-banana"], key="square", label="Square", aspect_ratios=("1:1",))
    prefs = Preferences(models)
    prefs.set_model(alice, "seedream-4.5")
    prefs.set_aspect(alice, "16:9")
    assert prefs.set_model(alice, "nano-banana").aspect == "16:9"  # offered by both: kept
    assert prefs.set_model(alice, "square").aspect is None
    assert prefs.set_model(alice, None).aspect is None
    assert prefs.set_aspect(alice, "16:9").aspect == "16:9"  # no model: any model's aspect
    with pytest.raises(InvalidInput) as caught:
        prefs.set_aspect(alice, "5:4")
    assert caught.value.code == "aspect_unknown"
    assert prefs.aspects_for(None)[:1] == ("1:1",) and len(set(prefs.aspects_for(None))) == len(prefs.aspects_for(None))


def test_values_the_config_or_tzdata_no_longer_has_read_as_unset(settings, engine, alice):
    User.update(default_model="retired", default_aspect="16:9", timezone="Mars/Base").where(User.id == alice).execute()
    prefs = engine.preferences.get(alice)
    assert (prefs.model, prefs.aspect, prefs.timezone) == (None, "16:9", None)
    User.update(default_model="seedream-4.5", default_aspect="16:9").where(User.id == alice).execute()
    only_nano = Preferences({"nano-banana": replace(settings.models["nano-banana"], aspect_ratios=("1:1",))})
    prefs = only_nano.get(alice)
    assert (prefs.model, prefs.aspect) == (None, None)
    assert only_nano.starting_point(alice) == ("nano-banana", "1:1")


def test_a_typed_prompt_starts_with_the_defaults_else_the_last_used_else_the_catalogs_first(settings, any_engine):
    any_engine.users.register(ALICE)
    prefs = any_engine.preferences
    first = next(iter(settings.models))
    assert prefs.starting_point(ALICE) == (first, settings.models[first].aspect_ratios[0])
    for model, aspect in (("nano-banana", "1:1"), ("seedream-4.5", "9:16")):
        any_engine.generations.rows.hold_batch(ALICE, 50, 1, model=model, prompt="a fox", aspect_ratio=aspect)
    assert prefs.starting_point(ALICE) == ("seedream-4.5", "9:16")  # the last used
    prefs.set_model(ALICE, "nano-banana")
    assert prefs.starting_point(ALICE) == ("nano-banana", "9:16")  # the last aspect, as the model offers it
    prefs.set_aspect(ALICE, "4:3")
    assert prefs.starting_point(ALICE) == ("nano-banana", "4:3")
    prefs.set_model(ALICE, None)
    assert prefs.starting_point(ALICE) == ("seedream-4.5", "4:3")


def test_time_zone_and_repeats_are_stored(engine, alice):
    prefs = engine.preferences
    assert prefs.set_timezone(alice, "tashkent").timezone == "Asia/Tashkent"
    with pytest.raises(InvalidInput):
        prefs.set_timezone(alice, "Mars/Base")
    assert prefs.get(alice).timezone == "Asia/Tashkent"
    assert prefs.set_timezone(alice, "UTC").timezone is None
    assert prefs.set_timezone(alice, "+3").timezone == "Etc/GMT-3"
    assert prefs.set_timezone(alice, None).timezone is None
    assert prefs.set_confirm_repeats(alice, False).confirm_repeats is False
    assert engine.users.get(alice).confirm_repeats is False
    assert prefs.set_confirm_repeats(alice, True).confirm_repeats is True
