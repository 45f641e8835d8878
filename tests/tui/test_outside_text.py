"""Outside text is data, never markup (issue 8, item 6). Every text field a user, an admin or
Higgsfield fills (names, username, prompt, generation error, ledger note and actor, top-up
actor, grant reason) holds a hostile string; every screen and dialog must show it literally,
pass no control character to the terminal, and keep running."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from textual import events
from textual.widgets import DataTable, Input, Label
from textual.widgets._data_table import default_cell_formatter
from textual.widgets._toast import Toast

from higgsctl.tui.messages import OpenGeneration, OpenUser
from higgsctl.tui.screens.dialogs import AmountDialog, ConfirmDialog
from higgsctl.tui.screens.generation_detail import GenerationDetailScreen
from higgsctl.tui.screens.user_detail import UserDetailScreen

from .conftest import hold

BIG = (220, 60)

# (the stored value, fragments that must appear literally wherever it is shown)
HOSTILE = [
    ("[/]", ("[/]",)),
    ("[/bold] after", ("[/bold] after",)),
    ("[red]red[/red] tail", ("[red]red[/red] tail",)),
    ("[b]never closed", ("[b]never closed",)),
    ("[@click=app.quit]q[/]", ("[@click=app.quit]q",)),
    ("[link=x]site[/link]", ("[link=x]site[/link]",)),
    ("\\[x] [/i] $var", ("\\[x] [/i] $var",)),
    ("🎨👩‍🎨 art", ("🎨", "art")),
    ("مرحبا שלום", ("مرحبا", "שלום")),
    ("\u202eevil\u202c", ("evil",)),
    ("one\ntwo", ("one", "two")),
    ("tab\there", ("tab", "here")),
    ("esc\x1b[2Jz", ("esc", "[2Jz")),
    ("bell\x07\x9b31m", ("bell", "31m")),
    ("[/]" + "y" * 400, ("[/]yyyyyyyy",)),
]
IDS = [repr(value[:12]) for value, _ in HOSTILE]
# Never written to the terminal: escape sequences, bell, 8-bit CSI, a bidi override.
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


@dataclass
class Case:
    value: str
    fragments: tuple[str, ...]
    named: int  # a user with this first and last name and no username
    handle: int  # a user with this username
    generation: int  # prompt and error
    decided: int  # a top-up rejected by this actor
    pending: int  # a top-up waiting, from the named user


@pytest.fixture
def cases(engine) -> list[Case]:
    made = []
    for i, (value, fragments) in enumerate(HOSTILE):
        named, handle = 1000 + i, 2000 + i
        engine.users.register(named, first_name=value, last_name=value)
        engine.users.register(handle, username=value, first_name="Plain")
        generation = hold(engine, named, value).id
        engine.generations.finish(generation, "failed", error=value)
        engine.credits.grant(named, 5, actor=value, note=value)
        decided = engine.topups.request(named).id
        engine.topups.reject(decided, actor=value)
        pending = engine.topups.request(named).id
        made.append(Case(value, fragments, named, handle, generation, decided, pending))
    return made


def assert_literal(shown: str, fragments, where: str) -> None:
    for fragment in fragments:
        assert fragment in shown, f"{fragment!r} not shown literally in {where}: {shown!r}"
    for control in RAW_CONTROLS:
        assert control not in shown, f"raw {control!r} reaches the terminal in {where}"


def row_text(table: DataTable, key: str) -> str:
    """A row as DataTable draws it (a str cell would be parsed as markup here)."""
    return " | ".join(default_cell_formatter(cell).plain for cell in table.get_row(key))


def toasts(h) -> str:
    return "\n".join(toast.render().plain for toast in h.app.screen.query(Toast))


def assert_running(h) -> None:
    assert h.app.is_running and h.app.return_code is None and h.app._exception is None


async def open_screen(h, message, screen_type):
    h.app.post_message(message)
    await h.until(lambda: isinstance(h.app.screen, screen_type) and h.app.screen.loads, what=screen_type.__name__)
    await h.settle()
    return h.app.screen


async def paste(h, text: str) -> None:
    h.app.post_message(events.Paste(text))  # what the terminal driver does with a bracketed paste
    await h.settle()


async def test_every_list_shows_outside_text_literally(tui, cases):
    async with tui(size=BIG) as h:
        latest = h.app.screen.query_one("#latest", DataTable)
        shown = [c for c in cases if str(c.generation) in latest.keys]
        assert shown, "the overview shows the latest generations"
        for c in shown:
            assert_literal(row_text(latest, str(c.generation)), c.fragments, "the overview")
        assert_literal(h.text(), (), "the overview")

        await h.press("2")
        users = h.app.screen.query_one("#users", DataTable)
        for c in cases:
            assert_literal(row_text(users, str(c.named)), c.fragments, "a name in the users list")
            assert_literal(row_text(users, str(c.handle)), c.fragments, "a username in the users list")
        assert_literal(h.text(), (), "the users list")

        await h.press("4")
        generations = h.app.screen.query_one("#generations", DataTable)
        for c in cases:
            assert_literal(row_text(generations, str(c.generation)), c.fragments * 2, "the generations list")
        assert_literal(h.text(), (), "the generations list")

        await h.press("3")
        topups = h.app.screen.query_one("#topups", DataTable)
        for c in cases:
            assert_literal(row_text(topups, str(c.pending)), c.fragments, "a pending top-up")
            assert_literal(row_text(topups, str(c.decided)), c.fragments * 2, "a decided top-up")
        assert_literal(h.text(), (), "the top-ups list")
        assert_running(h)


async def test_user_and_generation_pages_show_outside_text_literally(tui, cases):
    async with tui(size=BIG) as h:
        for c in cases:
            screen = await open_screen(h, OpenUser(c.named), UserDetailScreen)
            assert_literal(h.text(), c.fragments, "the user card and title")
            ledger = screen.query_one("#ledger", DataTable)
            grant = next(k for k in ledger.keys if "grant" in row_text(ledger, k))
            assert_literal(row_text(ledger, grant), c.fragments * 2, "the ledger (note and actor)")
            generations = screen.query_one("#generations", DataTable)
            assert_literal(row_text(generations, str(c.generation)), c.fragments, "the user's generations")
            await open_screen(h, OpenGeneration(c.generation), GenerationDetailScreen)
            assert_literal(h.text(), c.fragments, "the generation page (prompt, error, user)")
            assert h.text().count(c.fragments[-1]) >= 3
            await h.press("escape", "escape")
            assert_running(h)


# One string per way of going wrong: a dialog costs a screen push, so not all of HOSTILE.
DIALOG_CASES = [HOSTILE.index(next(h for h in HOSTILE if h[0].startswith(p))) for p in (
    "[/]yyy", "[red]", "[@click", "one\n", "esc\x1b", "\u202e")]


@pytest.mark.parametrize("index", DIALOG_CASES, ids=[IDS[i] for i in DIALOG_CASES])
async def test_dialogs_and_notifications_show_outside_text_literally(tui, engine, cases, index):
    c = cases[index]
    async with tui(size=BIG, notifications=True) as h:
        screen = await open_screen(h, OpenUser(c.named), UserDetailScreen)
        await h.press("g")
        assert isinstance(h.app.screen, AmountDialog)
        assert_literal(question(h), c.fragments, "the grant dialog")
        await h.press("1", "tab")
        await paste(h, c.value.replace("\n", " "))  # the reason, as the admin pasted it
        await h.press("enter")
        assert isinstance(h.app.screen, ConfirmDialog)
        assert_literal(question(h), c.fragments * 2, "the grant confirmation (name and reason)")
        await h.press("y")
        await h.until(lambda: "Granted 1 credits" in toasts(h), what="the grant notification")
        assert_literal(toasts(h), c.fragments, "the grant notification")
        entry = engine.credits.ledger(c.named, limit=1)[0]
        assert entry.amount == 1
        assert_literal(entry.note, c.fragments, "the stored reason")
        ledger = screen.query_one("#ledger", DataTable)
        await h.until(lambda: str(entry.id) in ledger.keys, what="the new ledger row")
        assert_literal(row_text(ledger, str(entry.id)), c.fragments, "the new ledger row")
        await h.press("b")
        assert_literal(question(h), c.fragments, "the block dialog")
        await h.press("escape", "escape")

        await h.press("3")
        table = h.app.screen.query_one("#topups", DataTable)
        table.move_cursor(row=table.get_row_index(str(c.pending)))
        for key in ("e", "r", "a"):
            await h.press(key)
            assert_literal(question(h), c.fragments, f"the top-up dialog of {key!r}")
            await h.press("escape")
        table.move_cursor(row=table.get_row_index(str(c.decided)))
        await h.press("a")  # already decided: a warning quoting the actor
        await h.until(lambda: "already rejected by" in toasts(h), what="the warning")
        assert_literal(toasts(h), c.fragments, "the already-decided warning")
        assert_running(h)


async def test_text_the_admin_pastes_is_never_markup(tui, cases):
    """The user filter (the engine's error quotes it back), the users search, the palette."""
    async with tui(size=BIG, notifications=True) as h:
        await h.press("4")
        for c in cases:
            await paste_into(h, "#user", c.value)
            await h.press("enter")
            await h.until(lambda: "neither a Telegram id" in toasts(h) or "No user" in toasts(h), what="the error")
            assert_literal(toasts(h), c.fragments[:1], "an engine error quoting typed text")
            h.app.screen.query_one("#user", Input).clear()
            h.app.clear_notifications()
        await h.app.switch_mode("users")
        await h.until(lambda: h.app.screen.loads, what="the users list")
        for c in cases:
            await paste_into(h, "#search", c.value)
            assert_literal(h.text(), (), "the users search")
            h.app.screen.query_one("#search", Input).clear()
        for c in (cases[i] for i in DIALOG_CASES):
            await h.press("ctrl+p")
            await paste(h, c.value)
            assert_literal(h.text(), (), "the command palette")
            await h.press("escape")
        assert_running(h)


def question(h) -> str:
    return h.app.screen.query_one(".question", Label).render().plain


async def paste_into(h, selector: str, text: str) -> None:
    h.app.screen.query_one(selector, Input).focus()
    await h.pilot.pause()
    await paste(h, text)
