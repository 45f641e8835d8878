from higgsctl.tui.screens.overview import OverviewScreen
from higgsctl.tui.widgets.generations_table import GenerationsTable
from higgsctl.tui.widgets.stat_card import StatCard


async def test_overview_shows_the_figures(tui, seed):
    async with tui() as h:
        screen = h.app.screen
        assert isinstance(screen, OverviewScreen)
        assert screen.query_one("#users", StatCard).value == "3"
        assert screen.query_one("#active", StatCard).value == "1"
        assert screen.query_one("#pending", StatCard).value == "2"
        latest = screen.query_one("#latest", GenerationsTable)
        assert latest.keys == [str(seed.active), str(seed.failed), str(seed.completed)]
        text = h.text()
        # 3 generations in the last 24 h: 1 completed, 1 failed -> 33.3 % failure rate; 50 credits captured
        assert "33.3 %" in text
        assert "Credits spent" in text and "a lighthouse at dawn" in text


async def test_enter_on_a_latest_generation_opens_it(tui, seed):
    async with tui() as h:
        h.app.screen.query_one("#latest", GenerationsTable).move_cursor(row=2)
        await h.press("enter")
        assert type(h.app.screen).__name__ == "GenerationDetailScreen"
        assert h.app.screen.generation_id == seed.completed
        await h.press("escape")
        assert isinstance(h.app.screen, OverviewScreen)
