"""What a request can choose besides prompt, model and aspect: a style, the model's options,
several images. Checked before any credit moves, with a code every face translates."""

import pytest

from higgsctl.engine import ConfigError, InvalidInput, load_settings
from higgsctl.engine.requests import MAX_COUNT, GenerationRequest, check_request


def request(**changes) -> GenerationRequest:
    values = dict(user_id=1, model="seedream-4.5", prompt="a cat", aspect_ratio="1:1")
    return GenerationRequest(**{**values, **changes})


def test_defaults_fill_every_option_and_cost_is_per_image(home):
    checked = check_request(load_settings(), request(count=3))
    assert checked.options == {"resolution": "2K"}
    assert checked.cost == 50  # per image: the batch holds cost × count


@pytest.mark.parametrize("count", [0, -1, MAX_COUNT + 1, 100])
def test_count_outside_one_to_four_is_refused(home, count):
    with pytest.raises(InvalidInput) as caught:
        check_request(load_settings(), request(count=count))
    assert caught.value.code == "count_invalid"


@pytest.mark.parametrize("options", [(("resolution", "1K"),), (("quality", "high"),), (("resolution", "4k"),),
                                     (("output_format", "png"),)])
def test_unknown_options_or_values_are_refused(home, options):
    with pytest.raises(InvalidInput) as caught:
        check_request(load_settings(), request(options=options))
    assert caught.value.code == "option_invalid"


def test_a_chosen_option_is_sent_as_an_argument(home):
    settings = load_settings()
    checked = check_request(settings, request(options=(("resolution", "4K"),)))
    args = settings.model("seedream-4.5").arguments_for(checked.prompt, "1:1", [], checked.options)
    assert args["resolution"] == "4K" and args["prompt"] == "a cat"


def test_a_style_wraps_the_prompt_and_the_limit_counts_only_the_users_text(home, write_config):
    settings = load_settings(write_config('[limits]\nmax_prompt_chars = 10\n'))
    checked = check_request(settings, request(prompt="  a   cat ", style="anime"))
    assert checked.prompt.startswith("a cat, anime style")
    with pytest.raises(InvalidInput) as caught:
        check_request(settings, request(prompt="x" * 11, style="anime"))
    assert caught.value.code == "prompt_too_long"


def test_an_unknown_style_is_refused(home):
    with pytest.raises(InvalidInput) as caught:
        check_request(load_settings(), request(style="{prompt}"))
    assert caught.value.code == "unknown_style"


@pytest.mark.parametrize("table, problem", [
    ('[styles.a]\ntemplate = "no placeholder"\n', "exactly once"),
    ('[styles.a]\ntemplate = "{prompt} {prompt}"\n', "exactly once"),
    ('[styles.a]\ntemplate = "{prompt}"\nmodel = "dall-e"\n', "not in the catalog"),
    ('[styles.a]\ntemplate = "{prompt}"\nmodel = "nano-banana"\naspect_ratio = "7:1"\n', "aspect_ratio"),
    ('[styles.a]\ntemplate = "{prompt}"\nlabel = { en = "" }\n', "label"),
    ('[styles.a]\ntemplate = "{prompt}"\ncolour = "red"\n', "unknown key"),
    ('[models.m]\nlabel = "M"\napplication = "m"\noptions = { size = [] }\n', "options"),
    ('[models.m]\nlabel = "M"\napplication = "m"\noptions = { size = "big" }\n', "options"),
])
def test_bad_styles_and_options_in_config_are_named(home, write_config, table, problem):
    with pytest.raises(ConfigError, match=problem):
        load_settings(write_config(table))


def test_configured_styles_replace_the_built_in_ones_and_an_empty_table_turns_them_off(home, write_config):
    settings = load_settings(write_config('[styles.w]\ntemplate = "{prompt}, watercolor"\n'
                                          'label = { en = "Watercolor", ru = "Акварель" }\n'))
    assert list(settings.styles) == ["w"]
    assert settings.style("w").label("ru") == "Акварель" and settings.style("w").label("de") == "Watercolor"
    assert load_settings(write_config("[styles]\n")).styles == {}
