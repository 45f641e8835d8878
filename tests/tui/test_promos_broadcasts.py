"""The promo codes screen (create through the dialog, engine refusals as error notifications,
disable after a confirmation) and the broadcasts screen (compose, the audience's count in the
confirmation, queue; cancelling the compose queues nothing; pause, resume and cancel)."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import Input, Select, TextArea

from higgsctl.engine import AuditFilter
from higgsctl.engine.models import Broadcast, PromoCode, User
from higgsctl.tui.screens.broadcasts import BroadcastsScreen, ComposeDialog
from higgsctl.tui.screens.dialogs import ConfirmDialog
from higgsctl.tui.screens.promos import PromoDialog, PromosScreen
from higgsctl.tui.screens.reason_dialog import ReasonDialog
from higgsctl.tui.widgets.broadcasts_table import BroadcastsTable
from higgsctl.tui.widgets.promos_table import PromosTable

from .conftest import ACTOR
from .test_outside_text import row_text

MARKUP = "[b]bold[/b] [@click=app.quit]q[/]"


def trail(engine, action: str):
    return engine.audit.list(AuditFilter(action=action, limit=100))


async def open_promos(h) -> tuple[PromosScreen, PromosTable]:
    await h.press("7")
    screen = h.app.screen
    assert isinstance(screen, PromosScreen) and screen.loads
    return screen, screen.query_one("#promos", PromosTable)


async def fill_promo(h, code: str, credits: str, uses: str, expires: str = "") -> PromoDialog:
    """Open the dialog, fill it, press Enter in the last field."""
    await h.press("n")
    dialog = h.app.screen
    assert isinstance(dialog, PromoDialog)
    for field, value in (("code", code), ("credits", credits), ("uses", uses), ("expires", expires)):
        dialog.query_one(f"#{field}", Input).value = value
    dialog.query_one("#expires", Input).focus()
    await h.press("enter")
    return dialog


async def test_create_a_promo_through_the_dialog_then_disable_it(tui, engine, seed):
    async with tui() as h:
        screen, table = await open_promos(h)
        assert table.row_count == 0
        await h.press("n")
        assert isinstance(h.app.screen, PromoDialog)
        await h.press(*"spring25", "tab", *"500", "tab", *"100", "tab", *"2099-12-31", "enter")
        await h.until(lambda: "SPRING25" in table.keys, what="the new code in the list")
        promo = engine.promos.get("SPRING25")
        assert (promo.credits, promo.max_uses, promo.created_by) == (500, 100, ACTOR)
        assert promo.expires_at == datetime(2099, 12, 31, 23, 59, 59)
        row = row_text(table, "SPRING25")
        assert row == f"SPRING25 | 500 | 0 / 100 | 2099-12-31 23:59 | active | {ACTOR}"
        assert not h.errors()

        await h.press("d")
        assert isinstance(h.app.screen, ReasonDialog)
        await h.press("enter")  # Cancel is focused: nothing happens
        assert isinstance(h.app.screen, PromosScreen) and not engine.promos.get("SPRING25").disabled
        await h.press("d", "y")
        await h.until(lambda: engine.promos.get("SPRING25").disabled, what="the code disabled")
        await h.until(lambda: "| disabled |" in row_text(table, "SPRING25"), what="the list")
        await h.press("d")  # disabled already: a warning, no dialog
        assert isinstance(h.app.screen, PromosScreen) and not h.errors()
    [entry] = trail(engine, "promo_disable")
    assert entry.actor == ACTOR and entry.target == "promo:SPRING25"
    assert trail(engine, "promo_create")[0].actor == ACTOR


async def test_engine_refusals_are_error_notifications_and_text_is_shown_literally(tui, engine, seed):
    engine.promos.create("TAKEN", 10, 5, actor=f"admin:7 ({MARKUP})")
    async with tui() as h:
        screen, table = await open_promos(h)
        assert row_text(table, "TAKEN").endswith("| admin:7 ([b]bold[/b] [@clic…")  # literally (shortened)

        await fill_promo(h, "taken", "10", "5")  # a duplicate, in another case
        await h.until(lambda: h.errors(), what="the duplicate refused")
        assert "The promo code TAKEN already exists." in h.errors()[-1]

        await fill_promo(h, MARKUP, "10", "5")  # malformed, and markup-like: quoted literally
        await h.until(lambda: len(h.errors()) == 2, what="the malformed code refused")
        assert "is not a promo code" in h.errors()[-1] and "[b]bold[/b]" in h.errors()[-1]

        await fill_promo(h, "FREE", "0", "5")  # an amount the engine refuses
        await h.until(lambda: len(h.errors()) == 3, what="the amount refused")
        assert "Credits must be a whole number" in h.errors()[-1]

        await fill_promo(h, "PAST", "10", "5", "2000-01-01")
        await h.until(lambda: len(h.errors()) == 4, what="the past date refused")
        assert "already past" in h.errors()[-1]

        dialog = await fill_promo(h, "WORDS", "ten", "5")  # refused in the dialog, which stays open
        assert h.app.screen is dialog and "whole number" in dialog.problem
        dialog.query_one("#credits", Input).value = "10"
        dialog.query_one("#expires", Input).value = "31/12/2099"
        await h.press("enter")
        assert h.app.screen is dialog and "not a date" in dialog.problem
        await h.press("escape")
        assert isinstance(h.app.screen, PromosScreen) and table.row_count == 1
    assert [p.code for p in PromoCode.select()] == ["TAKEN"]


async def compose(h, text: str, audience: str, photo: str = "") -> ComposeDialog:
    await h.press("n")
    dialog = h.app.screen
    assert isinstance(dialog, ComposeDialog)
    await h.press(*(ch for ch in text[:5] if ch.isalnum()))  # typed into the focused text area
    dialog.query_one("#text", TextArea).text = text
    dialog.query_one("#audience", Select).value = audience
    dialog.query_one("#photo", Input).value = photo
    dialog.query_one("#photo", Input).focus()
    await h.press("enter")
    return dialog


async def test_compose_a_broadcast_with_its_reach_confirmed(tui, engine, seed):
    User.update(language="ru").where(User.id.in_([seed.bob, seed.carol])).execute()
    text = "Новая модель!\n" + MARKUP
    async with tui() as h:
        await h.press("8")
        screen = h.app.screen
        assert isinstance(screen, BroadcastsScreen)
        assert "The running bot sends" in h.text()
        await compose(h, text, "lang:ru")
        await h.until(lambda: isinstance(h.app.screen, ConfirmDialog), what="the confirmation")
        assert "Broadcast to lang:ru: reaches 2 users." in h.app.screen.question
        assert "[b]bold[/b] [@click=app.quit]q[/]" in h.app.screen.question
        await h.press("y")
        await h.until(lambda: Broadcast.select().count() == 1, what="the broadcast queued")
        table = screen.query_one("#broadcasts", BroadcastsTable)
        await h.until(lambda: table.row_count == 1, what="the list")
        row = row_text(table, "1")
        assert row.startswith("1 | queued | lang:ru | 0 | 0 | 0 | 0 | 2 | Новая модель! [b]bold[/b]"), row
        assert not h.errors()
    [report] = engine.broadcasts.list()
    b = report.broadcast
    assert (b.audience, b.text, b.created_by, b.status, b.photo) == ("lang:ru", text, ACTOR, "queued", None)
    assert report.counts["pending"] == 2 and trail(engine, "broadcast")[0].actor == ACTOR


async def test_cancelling_the_compose_queues_nothing(tui, engine, seed):
    async with tui() as h:
        await h.press("8")
        await h.press("n", *"hello", "escape")  # leave the dialog
        assert isinstance(h.app.screen, BroadcastsScreen)
        await compose(h, "hello", "all")
        await h.until(lambda: isinstance(h.app.screen, ConfirmDialog), what="the confirmation")
        assert "reaches 3 users" in h.app.screen.question
        await h.press("enter")  # Cancel is focused
        assert isinstance(h.app.screen, BroadcastsScreen)
        dialog = await compose(h, "   ", "all")  # no text: refused in the dialog
        assert h.app.screen is dialog and dialog.problem == "Type the message."
        await h.press("escape")
        await compose(h, "photo", "all", photo="/nonexistent/photo.png")  # the engine refuses the photo
        await h.press("y")
        await h.until(lambda: h.errors(), what="the photo refused")
    assert Broadcast.select().count() == 0 and trail(engine, "broadcast") == []


async def test_pause_resume_and_cancel_a_broadcast(tui, engine, seed):
    report = engine.broadcasts.create("Weekend sale", "all", actor="cli:ops")
    bid = report.broadcast.id

    def status() -> str:
        return engine.broadcasts.get(bid).status

    async with tui(size=(80, 24)) as h:
        await h.press("8")
        await h.until(lambda: "Weekend sale" in h.text() or "queued" in h.text(), what="the list")
        await h.press("p")
        await h.until(lambda: status() == "paused", what="the pause")
        await h.press("r")
        assert isinstance(h.app.screen, ConfirmDialog) and "Resume broadcast #1" in h.app.screen.question
        await h.press("y")
        await h.until(lambda: status() == "queued", what="the resume")
        await h.press("c", "enter")  # Cancel is focused: nothing
        assert status() == "queued"
        await h.press("c", "y")
        await h.until(lambda: status() == "canceled", what="the cancel")
        await h.press("p")  # not open any more: a warning
        await h.until(lambda: any("can't be paused" in n.message for n in h.notes), what="the warning")
        table = h.app.screen.query_one("#broadcasts", BroadcastsTable)
        await h.until(lambda: row_text(table, str(bid)).startswith(f"{bid} | canceled |"), what="the list")
        assert not h.errors()
    assert [e.actor for e in trail(engine, "broadcast_pause") + trail(engine, "broadcast_resume")
            + trail(engine, "broadcast_cancel")] == [ACTOR] * 3


async def test_both_screens_and_their_dialogs_fit_80_by_24(tui, seed):
    async with tui(size=(80, 24)) as h:
        await h.press("7")
        lines = h.text().splitlines()
        assert "Promo codes" in lines[0] and "n New code" in lines[-1] and "d Disable" in lines[-1]
        await h.press("n")
        assert "Create" in h.text() and "Cancel" in h.text() and "last day" in h.text()
        await h.press("escape", "8")
        lines = h.text().splitlines()
        assert "Broadcasts" in lines[0] and "p Pause" in lines[-1] and "c Cancel" in lines[-1]
        await h.press("n")
        assert "Next" in h.text() and "Cancel" in h.text() and "photo file" in h.text()
        await h.press("escape", "1")
        lines = h.text().splitlines()
        assert "1 Overview" in lines[-1] and "7" not in lines[-1] and "8" not in lines[-1]


async def test_hostile_text_is_shown_literally_on_both_screens(tui, engine, seed):
    from .test_outside_text import BIG, DIALOG_CASES, HOSTILE, assert_literal, question

    for i, (value, _) in enumerate(HOSTILE):
        engine.promos.create(f"CODE{i}", 10, 5, actor=value)
        engine.broadcasts.create(value, "all", actor=value)
    async with tui(size=BIG) as h:
        await h.press("7")
        promos = h.app.screen.query_one("#promos", PromosTable)
        for i, (value, fragments) in enumerate(HOSTILE):
            assert_literal(row_text(promos, f"CODE{i}"), fragments, "a promo's creator")
        assert_literal(h.text(), (), "the promo codes list")
        await h.press("8")
        broadcasts = h.app.screen.query_one("#broadcasts", BroadcastsTable)
        for i, (value, fragments) in enumerate(HOSTILE, start=1):
            assert_literal(row_text(broadcasts, str(i)), fragments, "a broadcast's text")
        assert_literal(h.text(), (), "the broadcasts list")
        for index in DIALOG_CASES:
            value, fragments = HOSTILE[index]
            await compose(h, value, "all")
            await h.until(lambda: isinstance(h.app.screen, ConfirmDialog), what="the confirmation")
            assert_literal(question(h), fragments, "the compose confirmation")
            assert_literal(h.text(), (), "the compose confirmation")
            await h.press("escape")
        assert h.app.is_running and not h.errors()
    assert Broadcast.select().count() == len(HOSTILE)


async def test_the_palette_opens_both_screens(tui, seed):
    from .test_app import palette

    async with tui() as h:
        await palette(h, "promo", "Promo codes")
        assert isinstance(h.app.screen, PromosScreen)
        await palette(h, "broadc", "Broadcasts")
        assert isinstance(h.app.screen, BroadcastsScreen)
