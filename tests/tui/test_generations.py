from textual.widgets import Input, Select

from higgsctl.tui.screens.generation_detail import GenerationDetailScreen
from higgsctl.tui.screens import generations as generations_screen
from higgsctl.tui.screens.generations import GenerationsScreen
from higgsctl.tui.screens.user_detail import UserDetailScreen
from higgsctl.tui.widgets.generations_table import GenerationsTable


async def open_generations(h) -> tuple[GenerationsScreen, GenerationsTable]:
    await h.press("4")
    screen = h.app.screen
    assert isinstance(screen, GenerationsScreen)
    return screen, screen.query_one("#generations", GenerationsTable)


async def test_filter_by_status_model_and_user(tui, seed):
    async with tui() as h:
        screen, table = await open_generations(h)
        assert table.keys == [str(seed.active), str(seed.failed), str(seed.completed)]

        screen.query_one("#status", Select).value = "completed"
        await h.settle()
        assert table.keys == [str(seed.completed)]

        screen.query_one("#status", Select).clear()
        screen.query_one("#model", Select).value = "seedream-4.5"
        await h.settle()
        assert table.keys == [str(seed.failed)]

        screen.query_one("#model", Select).clear()
        await h.press("f", "tab", "tab", *"@bob", "enter")
        assert screen.query_one("#user", Input).value == "@bob"
        assert table.keys == [str(seed.active)]

        await h.press(*["backspace"] * 4, *"@nobody", "enter")
        assert h.errors() == ["No user @nobody.\n`higgsctl users list` shows who exists."]


async def test_generations_are_paged(tui, add_generation, seed, monkeypatch):
    monkeypatch.setattr(generations_screen.GenerationsScreen, "page_size", PAGE_SIZE := 4)  # 100 in real use
    for i in range(PAGE_SIZE + 2):
        add_generation(seed.alice, f"prompt {i}", cost=1)
    total = PAGE_SIZE + 2 + 3
    async with tui() as h:
        screen, table = await open_generations(h)
        assert table.row_count == PAGE_SIZE
        assert f"1–4 of {total}" in h.text()
        await h.press("n", "n")
        assert table.keys == [str(seed.completed)]
        assert f"9–9 of {total}   ·   page 3 of 3" in h.text()
        await h.press("n")  # nothing after the last page
        assert table.keys == [str(seed.completed)]
        await h.press("p")
        assert table.row_count == PAGE_SIZE


async def test_details_show_prompt_timings_error_and_absolute_paths(tui, engine, seed):
    async with tui(size=(150, 32)) as h:  # wide enough for the absolute path
        screen, table = await open_generations(h)
        table.move_cursor(row=table.get_row_index(str(seed.completed)))
        await h.press("enter")
        detail = h.app.screen
        assert isinstance(detail, GenerationDetailScreen)
        text = h.text()
        assert str(engine.store.inside(seed.result_file)) in text
        assert "a lighthouse at dawn" in text and "50 credits, captured" in text
        for label in ("Created", "Submitted", "Finished", "Error", "References"):
            assert label in text
        await h.press("u")
        assert isinstance(h.app.screen, UserDetailScreen) and h.app.screen.user_id == seed.alice
        await h.press("escape", "escape")

        table.move_cursor(row=table.get_row_index(str(seed.failed)))
        await h.press("enter")
        assert "upstream said no" in h.text()
