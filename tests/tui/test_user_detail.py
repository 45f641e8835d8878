from higgsctl.tui.screens.dialogs import AmountDialog, ConfirmDialog
from higgsctl.tui.screens.user_detail import UserDetailScreen
from higgsctl.tui.widgets.ledger_table import LedgerTable


async def open_user(h, user_id: int) -> UserDetailScreen:
    from higgsctl.tui.messages import OpenUser

    h.app.post_message(OpenUser(user_id))
    await h.until(lambda: isinstance(h.app.screen, UserDetailScreen), what="the user screen")
    await h.settle()
    return h.app.screen


async def test_grant_through_the_dialogs_changes_ledger_and_balance(tui, engine, seed):
    before = engine.credits.balance(seed.alice)
    async with tui() as h:
        screen = await open_user(h, seed.alice)
        ledger = screen.query_one("#ledger", LedgerTable)
        rows_before = ledger.row_count
        await h.press("g")
        assert isinstance(h.app.screen, AmountDialog)
        await h.press(*"500", "tab", *"birthday bonus", "enter")
        assert isinstance(h.app.screen, ConfirmDialog)
        assert h.app.screen.question == "Grant 500 credits to @alice?\nReason: birthday bonus"
        await h.press("y")
        await h.until(lambda: ledger.row_count == rows_before + 1, what="the new ledger row")
        assert engine.credits.balance(seed.alice) == before + 500
        entry = engine.credits.ledger(seed.alice, limit=1)[0]
        assert (entry.amount, entry.reason, entry.actor, entry.note) == (500, "grant", "tui:ops", "birthday bonus")
        assert ledger.keys[0] == str(entry.id)
        assert f"{before + 500:,}" in h.text()
        assert not h.errors()


async def test_block_and_unblock(tui, engine, seed):
    async with tui() as h:
        screen = await open_user(h, seed.bob)
        await h.press("b")
        assert h.app.screen.question == "Block @bob?"
        await h.press("y")
        await h.until(lambda: screen.user is not None and screen.user.blocked, what="the block")
        assert engine.users.get(seed.bob).blocked
        assert "BLOCKED" in h.text()
        await h.press("b")
        assert h.app.screen.question == "Unblock @bob?"
        await h.press("y")
        await h.until(lambda: not screen.user.blocked, what="the unblock")
        assert not engine.users.get(seed.bob).blocked


async def test_unknown_user_is_an_error_notification(tui, seed):
    async with tui() as h:
        await open_user(h, 999)
        assert h.errors() == ["No user 999.\n`higgsctl users list` shows who exists."]
        await h.press("escape")
        assert type(h.app.screen).__name__ == "OverviewScreen"


async def test_the_user_card_shows_a_pending_top_up(tui, seed):
    from higgsctl.tui.messages import OpenUser

    async with tui() as h:
        h.app.post_message(OpenUser(seed.bob))
        await h.until(lambda: type(h.app.screen).__name__ == "UserDetailScreen" and h.app.screen.loads, what="the user")
        await h.settle()
        assert f"#{seed.bob_topup}: 2,500 credits" in h.text() and "press 3 to decide" in h.text()
