"""`higgsctl promo`: create, list and disable codes; refusals exit 2 and create nothing."""

import pytest


def test_create_list_disable(cli, engine):
    created = cli("promo", "create", "spring25", "--credits", "500", "--uses", "3", "--expires", "2099-01-31")
    assert created.exit_code == 0, created.output
    assert created.stdout == "Created SPRING25: 500 credits × 3 uses, until 2099-01-31 23:59 UTC.\n"
    assert "t.me/<bot>?start=promo-SPRING25" in created.stderr
    [listed] = cli("promo", "list", "--json").json()
    assert (listed["code"], listed["credits"], listed["uses"], listed["used"], listed["disabled"]) == \
        ("SPRING25", 500, 3, 0, False)
    engine.users.register(5)
    engine.promos.redeem(5, "spring25")
    assert cli("promo", "list", "--json").json()[0]["used"] == 1
    assert cli("promo", "disable", "Spring25").stdout == "SPRING25 is now disabled.\n"
    assert cli("promo", "disable", "SPRING25").stdout == "SPRING25 was already disabled.\n"
    assert "SPRING25" in cli("promo", "list").stdout and "disabled" in cli("promo", "list").stdout


@pytest.mark.parametrize("args, message", [
    (["x", "--credits", "5", "--uses", "1"], "is not a promo code"),
    (["[red]boom[/]", "--credits", "5", "--uses", "1"], "is not a promo code"),
    (["GOOD", "--credits", "0", "--uses", "1"], "Credits must be"),
    (["GOOD", "--credits", "5", "--uses", "0"], "Uses must be"),
    (["GOOD", "--credits", "5", "--uses", "1", "--expires", "soon"], "is not a date"),
    (["GOOD", "--credits", "5", "--uses", "1", "--expires", "2001-01-01"], "already past"),
])
def test_refusals_exit_2_and_create_nothing(cli, engine, args, message):
    result = cli("promo", "create", *args)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert cli("promo", "list", "--json").json() == []


def test_a_duplicate_code_in_another_case_is_refused(cli, engine):
    assert cli("promo", "create", "GIFT", "--credits", "5", "--uses", "1").exit_code == 0
    again = cli("promo", "create", "gift", "--credits", "9", "--uses", "9")
    assert again.exit_code == 2 and "already exists" in again.stderr
