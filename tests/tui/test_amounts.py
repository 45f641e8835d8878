"""Credit amounts typed or pasted in the TUI (issue 8, item 8): what was typed is kept and,
if it is not a valid amount, refused inline before any confirmation; a paste with a Tab or
line break never merges into the amount; every dialog that moves credits opens on Cancel."""

from __future__ import annotations

from textual import events
from textual.widgets import Button, Input

from higgsctl.engine.credits import MAX_GRANT
from higgsctl.tui.screens.dialogs import AmountDialog, ConfirmDialog
from higgsctl.tui.screens.topups import TopUpsScreen
from higgsctl.tui.screens.user_detail import UserDetailScreen

from .test_topups import open_topups
from .test_user_detail import open_user

INVALID = [
    "5.5", "1e3", "-5", "+5", "0", "000", "10 000", "1,000", "1_000", "0x10", "10abc", "１０", "٣",
    str(MAX_GRANT + 1),
]
INVALID_PASTED = [*INVALID, "−5", "9" * 30, "9" * 5000, "1\x1b0", "10\u00a0000"]
VALID = [("10", 10), (" 10 ", 10), ("007", 7), (str(MAX_GRANT), MAX_GRANT)]


def books(engine, user_id: int) -> tuple[int, int]:
    return engine.credits.balance(user_id), len(engine.credits.ledger(user_id, limit=1000))


def amount_of(dialog: AmountDialog) -> Input:
    return dialog.query_one("#amount", Input)


def assert_refused(dialog: AmountDialog, shown: str) -> None:
    assert amount_of(dialog).value == shown, "the amount field keeps exactly what was typed"
    assert dialog.problem, f"no reason shown for {shown!r}"
    assert dialog.query_one("#ok", Button).disabled


async def paste(h, text: str) -> None:
    h.app.post_message(events.Paste(text))  # what the terminal driver does with a bracketed paste
    await h.settle()


async def open_grant(h) -> AmountDialog:
    await h.press("g")
    assert isinstance(h.app.screen, AmountDialog)
    return h.app.screen


async def test_invalid_amounts_are_kept_refused_inline_and_move_nothing(tui, engine, seed):
    before = books(engine, seed.alice)
    async with tui() as h:
        await open_user(h, seed.alice)
        dialog = await open_grant(h)
        assert not dialog.problem  # an empty field is not scolded before Enter
        await h.press("enter")
        assert h.app.screen is dialog and dialog.problem == "Type a number of credits."
        for text in INVALID:
            await h.press(*text)
            assert_refused(dialog, text)  # while typing
            await h.press("enter")
            assert h.app.screen is dialog, f"{text!r} reached the confirmation"
            assert_refused(dialog, text)
            await h.press("ctrl+u")
        for text in INVALID_PASTED:
            await paste(h, text)
            assert_refused(dialog, text.replace("\x1b", "␛"))
            await h.press("enter")
            assert h.app.screen is dialog, f"{text[:20]!r} reached the confirmation"
            await h.press("ctrl+u")
        await h.press("escape")
        assert isinstance(h.app.screen, UserDetailScreen)
        assert not h.errors()
    assert books(engine, seed.alice) == before


async def test_valid_amounts_are_read_as_written_and_move_only_when_confirmed(tui, engine, seed):
    before = books(engine, seed.alice)
    async with tui() as h:
        await open_user(h, seed.alice)
        for text, amount in VALID:
            dialog = await open_grant(h)
            await h.press(*text)
            assert amount_of(dialog).value == text and not dialog.problem
            await h.press("enter")
            assert isinstance(h.app.screen, ConfirmDialog)
            assert h.app.screen.question == f"Grant {amount:,} credits to @alice?"
            await h.press("n")
        assert books(engine, seed.alice) == before
        await open_grant(h)
        await h.press(*" 10 ", "enter", "y")
        await h.until(lambda: books(engine, seed.alice)[0] == before[0] + 10, what="the grant")
    assert engine.credits.ledger(seed.alice, limit=1)[0].amount == 10


async def test_a_pasted_amount_with_a_tab_or_line_break_is_split_or_refused(tui, engine, seed):
    before = books(engine, seed.alice)
    async with tui() as h:
        await open_user(h, seed.alice)
        dialog = await open_grant(h)
        await paste(h, "10\tbirthday bonus\n")  # a spreadsheet row: amount, reason
        assert amount_of(dialog).value == "10"
        assert dialog.query_one("#reason", Input).value == "birthday bonus"
        assert h.app.focused is dialog.query_one("#reason", Input)
        await h.press("enter")
        assert h.app.screen.question == "Grant 10 credits to @alice?\nReason: birthday bonus"
        await h.press("escape")
        dialog = await open_grant(h)
        await paste(h, "10\r\n")  # a copied line
        assert amount_of(dialog).value == "10" and not dialog.problem
        await h.press("escape")
        for text in ("10\t5\tx", "\n10", "1\n0", "10\n\n5\n", "10\n5\tx", "\t10"):
            dialog = await open_grant(h)
            await paste(h, text)
            assert amount_of(dialog).value == "" and dialog.problem, repr(text)
            assert dialog.query_one("#reason", Input).value == ""
            await h.press("escape")
        # a paste without bracketed paste mode arrives as fast keys: what follows the Tab is
        # the reason, however fast it comes
        dialog = await open_grant(h)
        for key, char in (("1", "1"), ("0", "0"), ("tab", "\t"), ("5", "5")):
            h.app.post_message(events.Key(key, char))
        await h.settle()
        assert (amount_of(dialog).value, dialog.query_one("#reason", Input).value) == ("10", "5")
        await h.press("escape")

        screen, table = await open_topups(h)
        table.move_cursor(row=table.get_row_index(str(seed.bob_topup)))
        await h.press("e")
        dialog = h.app.screen
        await paste(h, "10\t5")  # nowhere to put "5": refused, the requested amount stays
        assert amount_of(dialog).value == "2500" and dialog.problem
        await h.press("escape")
    assert books(engine, seed.alice) == before
    assert engine.topups.get(seed.bob_topup).status == "pending"


async def test_enter_enter_moves_no_credits_in_any_dialog(tui, engine, seed):
    alice, bob, carol = (books(engine, u) for u in (seed.alice, seed.bob, seed.carol))
    async with tui() as h:
        await open_user(h, seed.alice)
        await h.press("g", *"500", "enter")
        assert isinstance(h.app.screen, ConfirmDialog)
        assert h.app.focused is h.app.screen.query_one("#no", Button)
        await h.press("enter")
        assert isinstance(h.app.screen, UserDetailScreen)
        await h.press("escape")

        screen, table = await open_topups(h)
        for topup in (seed.bob_topup, seed.carol_topup):
            table.move_cursor(row=table.get_row_index(str(topup)))
            for keys in (("a", "enter"), ("e", "enter", "enter"), ("r", "enter")):
                await h.press(*keys)
                assert isinstance(h.app.screen, TopUpsScreen), keys
    assert [books(engine, u) for u in (seed.alice, seed.bob, seed.carol)] == [alice, bob, carol]
    assert engine.topups.get(seed.bob_topup).status == engine.topups.get(seed.carol_topup).status == "pending"


async def test_an_amount_over_the_limit_is_refused_before_the_confirmation(tui, engine, seed):
    async with tui() as h:
        screen, table = await open_topups(h)
        table.move_cursor(row=table.get_row_index(str(seed.bob_topup)))
        await h.press("e", "ctrl+u", *str(MAX_GRANT + 1), "enter")
        assert isinstance(h.app.screen, AmountDialog)
        assert h.app.screen.problem == f"At most {MAX_GRANT:,} credits at a time."
        await h.press("escape")
    assert engine.topups.get(seed.bob_topup).status == "pending"
