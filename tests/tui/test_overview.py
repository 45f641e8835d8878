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


async def test_the_overview_says_what_needs_an_admin(tui, seed, engine):
    from datetime import timedelta

    from higgsctl.engine.models import Heartbeat, TopUpRequest, utcnow

    TopUpRequest.update(created_at=utcnow() - timedelta(minutes=42)).execute()
    async with tui() as h:
        cards = {name: h.app.screen.query_one(f"#{name}", StatCard) for name in ("pending", "bot", "higgsfield")}
        assert cards["pending"].value == "2" and "oldest 42 min" in h.text()
        assert cards["bot"].value == "never run"
        assert cards["higgsfield"].value == "ok"  # the seed's failure is not Higgsfield's ("upstream said no", no code)
    engine.heartbeats.started("bot")
    engine.generations.finish(engine.generations.rows.hold(seed.carol, 50, model="nano-banana", prompt="p",
                                                           aspect_ratio="1:1").id,
                              "failed", error="401", error_code="service_auth")
    async with tui() as h:
        assert h.app.screen.query_one("#bot", StatCard).value == "up"
        assert h.app.screen.query_one("#higgsfield", StatCard).value == "failing"
        assert h.app.screen.query_one("#higgsfield", StatCard).note.endswith("ago · service_auth")
    Heartbeat.update(beat_at=utcnow() - timedelta(minutes=10)).execute()
    async with tui() as h:
        bot = h.app.screen.query_one("#bot", StatCard)
        assert (bot.value, bot.note) == ("DOWN", "silent 10 min")


async def test_the_overview_fits_80_by_24_with_its_footer(tui, seed):
    async with tui(size=(80, 24)) as h:
        lines = h.text().splitlines()
        assert "Business" in h.text() and "30 days" in h.text() and "Latest generations" in h.text()
        assert "1 Overview" in lines[-1] and "q Quit" in lines[-1]
