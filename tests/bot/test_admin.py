"""Admin features from Telegram: admin-only commands and top-up requests reaching admins."""

from __future__ import annotations

import pytest

from higgsctl.engine import AuditFilter

from .harness import ADMIN, ALICE, last_text


async def test_admin_commands_are_invisible_to_others(bot, emu):
    alice = emu.user(ALICE, "Alice", username="alice")
    await alice.send_text("/start")
    await bot.feed()
    for command in ("/stats", "/grant 42 100", "/user 42", "/block 42"):
        await alice.send_text(command)
        await bot.feed()
        assert "don't know that command" in last_text(alice), command
    assert bot.engine.credits.balance(ALICE) == 10000 and not bot.engine.users.get(ALICE).blocked


async def test_admin_grant_user_stats_block_unblock(bot, emu):
    alice = emu.user(ALICE, "Alice", username="alice")
    boss = emu.user(ADMIN, "Boss", username="boss")
    await alice.send_text("/start")
    await boss.send_text("/start")
    await bot.feed()
    await boss.send_text("/grant @alice 500 birthday")
    await bot.feed()
    assert "Granted 500 credits to @alice. Balance: 10500." in last_text(boss)
    assert "An admin added 500 credits. Balance: 10500." in last_text(alice)
    assert bot.engine.credits.ledger(ALICE)[0].actor == f"admin:{ADMIN} (@boss)"
    await boss.send_text("/grant @alice lots")
    await bot.feed()
    assert "Usage: /grant" in last_text(boss)
    await boss.send_text("/user 42")
    await bot.feed()
    assert "@alice (id 42)" in last_text(boss) and "Balance: 10500" in last_text(boss) and "Blocked: no" in last_text(boss)
    await boss.send_text("/user @nobody")
    await bot.feed()
    assert "Error: No user @nobody." in last_text(boss)
    await boss.send_text("/block")
    await bot.feed()
    assert "Usage: /block USER [reason]" in last_text(boss)
    await boss.send_text("/block @alice spam [b]links[/b]  again")
    await bot.feed()
    assert bot.engine.users.get(ALICE).blocked
    await boss.send_text("/unblock 42")
    await bot.feed()
    assert not bot.engine.users.get(ALICE).blocked
    trail = bot.engine.audit.list(AuditFilter(user_id=ALICE))
    assert [(e.action, e.actor, e.reason) for e in trail] == [
        ("unblock", f"admin:{ADMIN} (@boss)", None), ("block", f"admin:{ADMIN} (@boss)", "spam [b]links[/b] again"),
        ("grant", f"admin:{ADMIN} (@boss)", "birthday")]
    await boss.send_text("/stats")
    await bot.feed()
    assert "Users: 2 (0 blocked)" in last_text(boss) and "Pending top-ups: 0" in last_text(boss)


@pytest.mark.parametrize("amount", ["٥٠٠", "²", "1_000", "5.5", "１０", "0", "10000001", "99999999999999999999999"])
async def test_grant_refuses_any_amount_not_written_in_digits_0_9(bot, emu, amount):
    """``int()`` reads Arabic-Indic and fullwidth digits and underscores; ``isdigit()`` accepts
    superscripts that ``int()`` refuses. Neither may grant anything, or crash."""
    alice = emu.user(ALICE, "Alice", username="alice")
    boss = emu.user(ADMIN, "Boss", username="boss")
    await alice.send_text("/start")
    await boss.send_text("/start")
    await bot.feed()
    await boss.send_text(f"/grant @alice {amount}")
    await bot.feed()
    assert last_text(boss).startswith("Usage: /grant"), last_text(boss)
    assert bot.engine.credits.balance(ALICE) == 10000 and len(bot.engine.credits.ledger(ALICE)) == 1


async def test_topup_reaches_admins_once_per_pending_request(bot, emu):
    alice = emu.user(ALICE, "Alice", username="alice")
    boss = emu.user(ADMIN, "Boss")
    await boss.send_text("/start")
    await alice.send_text("/topup")
    await bot.feed()
    assert "Request #1 for 2500 credits sent to the admins" in last_text(alice)
    request = boss.messages()[-1]
    assert "Top-up request #1: @alice (id 42) asks for 2500 credits" in request.text
    assert [b["callback_data"] for b in request.buttons()] == ["tu:a:1", "tu:r:1"]
    await alice.send_text("/topup")
    await bot.feed()
    assert "request #1 is still waiting" in last_text(alice)
    assert len(bot.engine.topups.pending()) == 1


async def test_non_admin_cannot_decide_a_topup_with_a_forged_button(bot, emu):
    alice = emu.user(ALICE, "Alice")
    await alice.send_text("/topup")
    await bot.feed()
    emu.messages(ALICE)[-1].reply_markup = {"inline_keyboard": [[{"text": "x", "callback_data": "tu:a:1"}]]}
    await alice.press("tu:a:1")
    await bot.feed()
    assert bot.engine.topups.get(1).status == "pending"
    assert "expired" in last_text(alice)

