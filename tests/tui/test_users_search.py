"""The users search box finds names in any script and case, and last names."""

from higgsctl.tui.screens.users import UsersScreen
from higgsctl.tui.widgets.users_table import UsersTable


async def test_search_box_folds_any_script_and_covers_last_names(tui, engine, seed):
    engine.users.register(104, username="anna_s", first_name="Анна", last_name="Смирнова")
    engine.users.register(105, username=None, first_name="Straße", last_name="Ölmann")
    searches = [("АННА", "104"), ("смирнова", "104"), ("анна СМИРНОВА", "104"), ("@ANNA_S", "104"),
                ("STRASSE", "105"), ("öLMANN", "105")]
    async with tui() as h:
        await h.press("2")
        screen = h.app.screen
        assert isinstance(screen, UsersScreen)
        table = screen.query_one("#users", UsersTable)
        await h.press("slash")
        for typed, expected in searches:
            await h.press(*typed)
            await h.settle()
            assert (typed, table.keys) == (typed, [expected])
            await h.press(*["backspace"] * len(typed))
