from higgsctl.tui import AdminApp, app as app_module, run_admin


def test_run_admin_opens_runs_and_closes_the_engine(settings, monkeypatch):
    seen = {}

    def fake_run(self):
        seen["engine"] = self.engine
        seen["open"] = not self.engine.db.is_closed()

    monkeypatch.setattr(AdminApp, "run", fake_run)
    run_admin(settings)
    assert seen["open"] and seen["engine"].db.is_closed()
    assert app_module.SCREENS.keys() == {"overview", "users", "topups", "generations", "audit", "payments",
                                            "promos", "broadcasts"}


async def test_number_keys_switch_screens_and_keep_their_state(tui, seed):
    async with tui() as h:
        for key, name in (("2", "UsersScreen"), ("3", "TopUpsScreen"), ("4", "GenerationsScreen"), ("1", "OverviewScreen")):
            await h.press(key)
            assert type(h.app.screen).__name__ == name
            assert h.app.screen.loads >= 1
        await h.press("2", "slash", *"bob", "escape", "1", "2")
        assert h.app.screen.query_state.search == "bob"


async def palette(h, query: str, command: str) -> None:
    await h.press("ctrl+p", *query)
    await h.until(lambda: command in h.text(), what=f"the palette entry {command!r}")
    await h.press("enter")
    await h.until(lambda: type(h.app.screen).__name__ != "CommandPalette", what="the palette to close")
    await h.settle()


async def test_palette_searches_users_and_refreshes(tui, engine, seed):
    from textual.widgets import Input

    async with tui() as h:
        await palette(h, "search u", "Search users")
        assert type(h.app.screen).__name__ == "UsersScreen"
        assert isinstance(h.app.focused, Input) and h.app.focused.id == "search"
        await h.press("escape")
        engine.users.register(555, username="newcomer")
        loads = h.app.screen.loads
        await palette(h, "refr", "Refresh")
        await h.until(lambda: h.app.screen.loads > loads, what="the refresh")
        assert "@newcomer" in h.text()
