"""The bot runs in another process: what it writes shows up without restarting the TUI."""

import subprocess
import sys

from higgsctl.tui.screens.generations import GenerationsScreen
from higgsctl.tui.widgets.generations_table import GenerationsTable
from higgsctl.tui.widgets.stat_card import StatCard

ANOTHER_PROCESS = """
import uuid
from higgsctl.engine import Engine, load_settings
engine = Engine(load_settings())
gen = engine.generations.rows.hold(102, 50, model="nano-banana", prompt="from the bot process",
                          aspect_ratio="1:1", source="bot", idempotency_key=uuid.uuid4().hex)
engine.close()
print(gen.id)
"""


def add_generation_elsewhere() -> int:
    done = subprocess.run([sys.executable, "-c", ANOTHER_PROCESS], capture_output=True, text=True, check=True, timeout=60)
    return int(done.stdout.strip())


async def test_a_generation_added_by_another_process_appears(tui, seed):
    async with tui(refresh_interval=0.2) as h:
        overview = h.app.screen
        latest = overview.query_one("#latest", GenerationsTable)
        active = overview.query_one("#active", StatCard)
        assert active.value == "1"

        new_id = add_generation_elsewhere()
        await h.until(lambda: latest.keys and latest.keys[0] == str(new_id), what="the new generation")
        await h.until(lambda: active.value == "2", what="the active count")
        assert "from the bot process" in h.text()

        await h.press("4")
        assert isinstance(h.app.screen, GenerationsScreen)
        table = h.app.screen.query_one("#generations", GenerationsTable)
        assert table.keys[0] == str(new_id)
        second = add_generation_elsewhere()
        await h.until(lambda: table.keys[0] == str(second), what="the second generation")
        assert not h.errors()


async def test_refresh_keeps_the_highlighted_row(tui, seed):
    async with tui(refresh_interval=0.2) as h:
        latest = h.app.screen.query_one("#latest", GenerationsTable)
        latest.move_cursor(row=latest.get_row_index(str(seed.failed)))
        new_id = add_generation_elsewhere()
        await h.until(lambda: latest.keys[0] == str(new_id), what="the refresh")
        assert latest.highlighted_key == str(seed.failed)
