from higgsctl.tui.screens.dialogs import AmountDialog, ConfirmDialog
from higgsctl.tui.screens.topups import TopUpsScreen
from higgsctl.tui.widgets.topups_table import TopUpsTable


async def open_topups(h) -> tuple[TopUpsScreen, TopUpsTable]:
    await h.press("3")
    screen = h.app.screen
    assert isinstance(screen, TopUpsScreen)
    return screen, screen.query_one("#topups", TopUpsTable)


async def test_approve_with_another_amount_and_reject(tui, engine, seed):
    bob_before = engine.credits.balance(seed.bob)
    carol_before = engine.credits.balance(seed.carol)
    async with tui() as h:
        screen, table = await open_topups(h)
        assert set(table.keys) == {str(seed.bob_topup), str(seed.carol_topup)}
        table.move_cursor(row=table.get_row_index(str(seed.bob_topup)))
        await h.press("e")
        assert isinstance(h.app.screen, AmountDialog)
        await h.press("ctrl+u", *"1234", "enter")  # replace the requested 2500
        assert isinstance(h.app.screen, ConfirmDialog)
        assert h.app.screen.question == "Approve top-up #1: grant 1,234 credits (requested 2,500) to @bob?"
        await h.press("y")
        await h.until(lambda: screen.topups[str(seed.bob_topup)].status == "approved", what="the approval")

        table.move_cursor(row=table.get_row_index(str(seed.carol_topup)))
        await h.press("r", "y")
        await h.until(lambda: screen.topups[str(seed.carol_topup)].status == "rejected", what="the rejection")

        # a decided request cannot be decided again: a warning, no dialog
        await h.press("a")
        assert isinstance(h.app.screen, TopUpsScreen)
        assert any("already rejected by tui:ops" in n.message for n in h.notes)
        assert not h.errors()

    bob = engine.topups.get(seed.bob_topup)
    assert (bob.status, bob.granted, bob.decided_by) == ("approved", 1234, "tui:ops")
    assert engine.credits.balance(seed.bob) == bob_before + 1234
    entry = engine.credits.ledger(seed.bob, limit=1)[0]
    assert (entry.amount, entry.reason, entry.actor, entry.topup_id) == (1234, "topup", "tui:ops", seed.bob_topup)
    carol = engine.topups.get(seed.carol_topup)
    assert (carol.status, carol.granted, carol.decided_by) == ("rejected", None, "tui:ops")
    assert engine.credits.balance(seed.carol) == carol_before
    assert [t.id for t in engine.topups.undelivered_decisions()] == [seed.bob_topup, seed.carol_topup]


async def test_approve_full_amount_after_confirmation_only(tui, engine, seed):
    async with tui() as h:
        screen, table = await open_topups(h)
        table.move_cursor(row=table.get_row_index(str(seed.carol_topup)))
        await h.press("a", "n")  # declined: nothing happens
        assert engine.topups.get(seed.carol_topup).status == "pending"
        await h.press("a", "y")
        await h.until(lambda: screen.topups[str(seed.carol_topup)].status == "approved", what="the approval")
    assert engine.topups.get(seed.carol_topup).granted == 2500


async def test_a_decision_made_elsewhere_is_reported_not_crashed(tui, engine, seed):
    async with tui() as h:
        screen, table = await open_topups(h)
        table.move_cursor(row=table.get_row_index(str(seed.bob_topup)))
        engine.topups.reject(seed.bob_topup, actor="admin:1")  # from Telegram, meanwhile
        await h.press("a", "y")
        await h.until(lambda: h.errors(), what="the error")
        assert "already rejected by admin:1" in h.errors()[0]
    assert engine.topups.get(seed.bob_topup).granted is None


async def test_command_palette_approves_the_next_top_up(tui, engine, seed):
    async with tui() as h:
        await h.press("ctrl+p", *"approve n")
        await h.until(lambda: "Approve next top-up" in h.text(), what="the palette entry")
        await h.press("enter")
        await h.until(lambda: isinstance(h.app.screen, ConfirmDialog), what="the confirmation")
        assert h.app.screen.question.startswith(f"Approve top-up #{seed.bob_topup}: grant 2,500 credits to @bob")
        await h.press("y")
        await h.until(lambda: engine.topups.get(seed.bob_topup).status == "approved", what="the approval")
        assert isinstance(h.app.screen, TopUpsScreen)
    assert engine.topups.get(seed.carol_topup).status == "pending"
