"""`higgsctl broadcast` queues, `higgsctl broadcasts` follows and controls; refusals queue nothing."""

import pytest


@pytest.fixture
def users(engine):
    for uid in (1, 2, 3):
        engine.users.register(uid, language="ru" if uid == 3 else "en")
    return engine


def test_queue_list_pause_resume_cancel(cli, users):
    queued = cli("broadcast", "Hello [b]all[/b]", "--audience", "lang:ru", "--yes")
    assert queued.exit_code == 0, queued.output
    assert queued.stdout == "Broadcast #1 queued for 1 user(s).\n"
    assert "bot is not running" in queued.stderr
    [row] = cli("broadcasts", "list", "--json").json()
    assert (row["status"], row["audience"], row["total"], row["pending"], row["text"]) == \
        ("queued", "lang:ru", 1, 1, "Hello [b]all[/b]")
    assert "Hello [b]all[/b]" in cli("broadcasts", "list").stdout  # outside text, not markup
    assert cli("broadcasts", "pause", "1").stdout == "Broadcast #1 is paused.\n"
    assert cli("broadcasts", "pause", "1").stdout == "Broadcast #1 is paused: nothing to do.\n"
    assert cli("broadcasts", "resume", "1").stdout == "Broadcast #1 will carry on.\n"
    assert cli("broadcasts", "cancel", "1").stdout == "Broadcast #1 is canceled.\n"
    assert cli("broadcasts", "cancel", "1").stdout == "Broadcast #1 is canceled: nothing to do.\n"


@pytest.mark.parametrize("args, message", [
    (["hi", "--audience", "everyone", "--yes"], "Unknown audience"),
    (["   ", "--yes"], "text is empty"),
    (["x" * 4097, "--yes"], "Telegram takes 4096"),
    (["hi", "--photo", "missing.png", "--yes"], "does not exist"),
    (["hi", "--paid", "--yes"], "Paid broadcasts are off"),
    (["hi"], "without confirmation"),
])
def test_refusals_queue_nothing(cli, users, args, message):
    result = cli("broadcast", *args)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert cli("broadcasts", "list", "--json").json() == []


def test_an_unknown_broadcast_is_named(cli, users):
    result = cli("broadcasts", "pause", "99")
    assert result.exit_code != 0 and "No broadcast #99" in result.stderr
