"""Screenshots of the main screens on frozen data (timestamps pinned in the past, and the
overview's clock pinned 5 hours after them, so its figures and ages never depend on the date). Update with ``--snapshot-update``."""

from datetime import datetime, timedelta

import pytest

from higgsctl.engine.models import Generation, LedgerEntry, TopUpRequest, User
from higgsctl.tui import AdminApp

FROZEN = datetime(2025, 1, 2, 3, 4, 5)
SIZE = (120, 32)


@pytest.fixture
def frozen(engine, seed, monkeypatch):
    from higgsctl.engine import business

    monkeypatch.setattr(business, "utcnow", lambda: FROZEN + timedelta(hours=5))  # ages on the overview
    User.update(created_at=FROZEN, last_seen_at=FROZEN).execute()
    Generation.update(created_at=FROZEN).execute()
    Generation.update(finished_at=FROZEN).where(Generation.finished_at.is_null(False)).execute()
    TopUpRequest.update(created_at=FROZEN).execute()
    LedgerEntry.update(created_at=FROZEN).execute()
    return engine


def showing(screen_name: str, *keys: str):
    async def run_before(pilot) -> None:
        await pilot.press(*keys)
        app = pilot.app
        while not (type(app.screen).__name__ == screen_name and app.screen.loads):
            await pilot.pause(0.01)
        await app.workers.wait_for_complete()
        await pilot.pause()

    return run_before


def test_overview_snapshot(frozen, snap_compare):
    assert snap_compare(AdminApp(frozen, refresh_interval=0), terminal_size=SIZE,
                        run_before=showing("OverviewScreen"))


def test_users_snapshot(frozen, snap_compare):
    assert snap_compare(AdminApp(frozen, refresh_interval=0), terminal_size=SIZE,
                        run_before=showing("UsersScreen", "2"))


def test_topups_snapshot(frozen, snap_compare):
    assert snap_compare(AdminApp(frozen, refresh_interval=0), terminal_size=SIZE,
                        run_before=showing("TopUpsScreen", "3"))
