from higgsctl.tui.screens import users as users_screen
from higgsctl.tui.screens.user_detail import UserDetailScreen
from higgsctl.tui.screens.users import UsersScreen
from higgsctl.tui.widgets.users_table import UsersTable


async def open_users(h) -> UsersScreen:
    await h.press("2")
    assert isinstance(h.app.screen, UsersScreen)
    return h.app.screen


async def test_search_finds_a_user_and_enter_opens_them(tui, seed):
    async with tui() as h:
        screen = await open_users(h)
        table = screen.query_one("#users", UsersTable)
        assert table.keys == ["101", "102", "103"]
        await h.press("slash", *"ali")
        assert table.keys == ["101"]
        await h.press("enter")  # leaves the search box for the table
        assert h.app.focused is table
        await h.press("enter")
        detail = h.app.screen
        assert isinstance(detail, UserDetailScreen) and detail.user_id == seed.alice
        assert "@alice" in h.text()


async def test_search_by_name_and_by_id(tui, engine, seed):
    engine.users.register(104, username=None, first_name="Dmitri")
    async with tui() as h:
        screen = await open_users(h)
        table = screen.query_one("#users", UsersTable)
        await h.press("slash", *"dmi")
        assert table.keys == ["104"]
        await h.press(*["backspace"] * 3, *"102")
        assert table.keys == ["102"]
        await h.press(*["backspace"] * 3, *"zzz")
        assert table.keys == []
        assert "nothing to show" in h.text()


async def test_users_are_paged_and_sorted(tui, engine, seed, monkeypatch):
    monkeypatch.setattr(users_screen, "PAGE_SIZE", PAGE_SIZE := 5)  # 200 in real use; the bench pages 10,000
    for uid in range(1000, 1000 + 2 * PAGE_SIZE + 2):
        engine.users.register(uid, username=f"user{uid}")
    engine.credits.grant(1005, 99_999, actor="cli")
    total = 3 + 2 * PAGE_SIZE + 2
    async with tui() as h:
        screen = await open_users(h)
        table = screen.query_one("#users", UsersTable)
        assert table.row_count == PAGE_SIZE
        assert f"1–5 of {total}   ·   page 1 of 3" in h.text()
        await h.press("n")
        assert table.keys[0] == str(1000 + PAGE_SIZE - 3)
        assert f"6–10 of {total}   ·   page 2 of 3" in h.text()
        await h.press("n")
        assert table.row_count == total - 2 * PAGE_SIZE
        await h.press("n")  # no page after the last: nothing changes
        assert table.row_count == total - 2 * PAGE_SIZE
        await h.press("p", "p")
        assert table.keys[0] == "101"
        await h.press("s")  # by username
        assert screen.query_state.order == "username"
        await h.press("s")  # by balance, largest first
        assert screen.query_state.order == "balance" and screen.query_state.descending
        assert table.keys[0] == "1005"
        assert "Balance ▼" in h.text()
        await h.press("d")
        assert table.keys[0] != "1005"
        # the mouse: a click on a column header sorts by that column
        await h.pilot.click(UsersTable, offset=(_column_x(table, "generations") + 2, 0))
        await h.settle()
        assert screen.query_state.order == "generations" and screen.query_state.descending
        assert table.keys[0] == "101"  # alice has two generations


def _column_x(table: UsersTable, key: str) -> int:
    x = 0
    for column in table.ordered_columns:
        if column.key.value == key:
            return x
        x += column.get_render_width(table)
    raise KeyError(key)
