"""The Audit screen, the generation actions (cancel, refund, re-send) with their reason
dialogs, a refund racing the CLI's, reasons on reject and block, the export dialog, and the
generations list's prompt search and first/last page jumps."""

from __future__ import annotations

import json

from textual.widgets import Input, Select
from typer.testing import CliRunner

from higgsctl.cli import app as cli_app
from higgsctl.engine import AuditFilter
from higgsctl.engine.models import Generation, LedgerEntry
from higgsctl.tui.messages import OpenGeneration
from higgsctl.tui.screens.audit import AuditScreen
from higgsctl.tui.screens.export_dialog import ExportDialog
from higgsctl.tui.screens.generation_detail import GenerationDetailScreen
from higgsctl.tui.screens.generations import GenerationsScreen
from higgsctl.tui.screens.reason_dialog import ReasonDialog
from higgsctl.tui.screens.user_detail import UserDetailScreen
from higgsctl.tui.messages import OpenUser
from higgsctl.tui.widgets.audit_table import AuditTable

from .conftest import ACTOR, hold

MARKUP = "[b]bold[/b] [link=http://x]y[/link] Ёж 🦔"


def trail(engine, **f):
    return engine.audit.list(AuditFilter(limit=100, **f))


async def open_generation(h, generation_id: int) -> GenerationDetailScreen:
    h.app.post_message(OpenGeneration(generation_id))
    await h.until(lambda: isinstance(h.app.screen, GenerationDetailScreen) and h.app.screen.details is not None,
                  what="the generation")
    return h.app.screen


async def give_reason(h, reason: str) -> None:
    """Type a reason in the open reason dialog, Enter (to the button), Enter (confirm)."""
    dialog = h.app.screen
    assert isinstance(dialog, ReasonDialog)
    dialog.query_one("#reason", Input).focus()
    await h.press(*reason, "enter", "enter")


async def test_audit_screen_lists_filters_and_shows_outside_text_literally(tui, engine, seed):
    engine.credits.grant(seed.alice, 500, actor="admin:7 (@boss)", note=MARKUP)
    engine.users.set_blocked(seed.bob, True, actor="cli:ops", reason="spam")
    async with tui(size=(160, 30)) as h:
        await h.press("5")
        screen = h.app.screen
        assert isinstance(screen, AuditScreen)
        table = screen.query_one("#audit", AuditTable)
        assert table.row_count == 2
        text = h.text()
        assert "[b]bold[/b]" in text and "admin:7 (@boss)" in text and "balance 9950 → 10450, amount 500" in text
        screen.query_one("#action", Select).value = "block"
        await h.settle()
        assert table.row_count == 1 and "spam" in h.text()
        screen.query_one("#action", Select).clear()
        screen.query_one("#user", Input).value = "@alice"
        await h.press("f", "tab", "enter")
        assert table.row_count == 1 and "grant" in h.text()
        assert h.errors() == []


async def test_refund_through_the_dialog_once_and_declining_does_nothing(tui, engine, seed):
    async with tui() as h:
        await open_generation(h, seed.completed)
        await h.press("r", "enter")  # Cancel is focused: Enter declines
        assert isinstance(h.app.screen, GenerationDetailScreen) and trail(engine) == []
        await h.press("r")
        await give_reason(h, MARKUP)
        await h.until(lambda: engine.generations.get(seed.completed).charge == "refunded", what="the refund")
        await h.until(lambda: f"refund by {ACTOR}" in h.text(), what="the card's admin actions")
        assert "[b]bold[/b]" in h.text()  # the reason, literally
        await h.press("r", "y")  # a second refund is refused, with a message
        await h.until(lambda: any("already refunded" in e for e in h.errors()), what="the refusal")
    [entry] = trail(engine, action="refund")
    assert (entry.actor, entry.reason, entry.user_id) == (ACTOR, MARKUP, seed.alice)
    assert engine.credits.balance(seed.alice) == 10000  # the failed one was released, this one refunded
    assert engine.credits.discrepancies() == []


async def test_a_refund_racing_the_cli_pays_once(tui, engine, seed):
    runner = CliRunner()
    async with tui() as h:
        await open_generation(h, seed.completed)
        await h.press("r")  # the dialog is open in the TUI...
        assert isinstance(h.app.screen, ReasonDialog)
        won = runner.invoke(cli_app, ["history", "refund", str(seed.completed), "--yes"])  # ...the CLI refunds
        assert won.exit_code == 0, won.output
        await h.press("y")
        await h.until(lambda: any("already refunded" in e for e in h.errors()), what="the TUI's refusal")
    assert LedgerEntry.select().where(LedgerEntry.reason == "refund").count() == 1
    assert [e.actor.split(":")[0] for e in trail(engine, action="refund")] == ["cli"]
    assert engine.credits.discrepancies() == []


async def test_cancel_a_queued_job_and_resend_a_delivered_result(tui, engine, seed):
    rows = engine.generations.rows
    delivered = rows.hold(seed.bob, 50, model="nano-banana", prompt="a dog", aspect_ratio="1:1", source="bot",
                          chat_id=seed.bob)
    rows.finish(delivered.id, "completed", files=[seed.result_file])
    rows.mark_delivered(delivered.id)
    async with tui() as h:
        await open_generation(h, seed.active)
        await h.press("c")
        await give_reason(h, "duplicate")
        await h.until(lambda: engine.generations.get(seed.active).status == "canceled", what="the cancel")
        await h.press("escape")
        await open_generation(h, delivered.id)
        await h.press("s", "y")
        await h.until(lambda: engine.generations.get(delivered.id).delivered_at is None, what="the resend")
        await h.press("s", "y")  # not delivered again yet: refused
        await h.until(lambda: any("not delivered yet" in e for e in h.errors()), what="the refusal")
    assert [(e.action, e.reason) for e in trail(engine)] == [("resend", None), ("cancel", "duplicate")]
    assert engine.credits.balance(seed.bob) == 10000 - 50  # the canceled hold came back
    assert engine.credits.discrepancies() == []


async def test_reject_with_a_shared_reason_and_block_with_a_reason(tui, engine, seed):
    async with tui() as h:
        await h.press("3")
        table = h.app.screen.query_one("#topups")
        table.move_cursor(row=table.get_row_index(str(seed.bob_topup)))
        await h.press("r")
        await give_reason(h, "no payment")
        await h.until(lambda: engine.topups.get(seed.bob_topup).status == "rejected", what="the rejection")
        h.app.post_message(OpenUser(seed.carol))
        await h.until(lambda: isinstance(h.app.screen, UserDetailScreen) and h.app.screen.user is not None)
        await h.press("b")
        await give_reason(h, "abuse")
        await h.until(lambda: engine.users.get(seed.carol).blocked, what="the block")
    topup = engine.topups.get(seed.bob_topup)
    assert (topup.reason, topup.reason_shared, topup.decided_by) == ("no payment", True, ACTOR)
    assert [(e.action, e.reason) for e in trail(engine)] == [("block", "abuse"), ("topup_reject", "no payment")]


async def test_export_dialog_writes_the_file_and_audits_it(tui, engine, seed, tmp_path):
    target = tmp_path / "gens.json"
    async with tui() as h:
        await h.press("x")
        dialog = h.app.screen
        assert isinstance(dialog, ExportDialog)
        dialog.query_one("#kind", Select).value = "generations"
        dialog.query_one("#format", Select).value = "json"
        await h.settle()
        assert dialog.query_one("#path", Input).value.endswith(".json")  # the proposed name follows
        dialog.query_one("#since", Input).value = "yesterday"
        dialog.query_one("#since", Input).focus()
        await h.press("enter")
        assert isinstance(h.app.screen, ExportDialog) and "not a date" in h.text()
        dialog.query_one("#since", Input).value = ""
        dialog.query_one("#path", Input).value = str(target)
        dialog.query_one("#path", Input).focus()
        await h.press("enter")
        await h.until(target.exists, what="the export file")
    data = json.loads(target.read_text(encoding="utf-8"))
    assert sorted(g["id"] for g in data) == sorted([seed.completed, seed.failed, seed.active])
    [entry] = trail(engine, action="export")
    assert entry.actor == ACTOR and entry.after["rows"] == 3


async def test_generations_search_prompts_show_errors_and_jump_pages(tui, engine, seed, monkeypatch):
    monkeypatch.setattr(GenerationsScreen, "page_size", 2)
    Generation.update(error_code="upstream_failed").where(Generation.id == seed.failed).execute()
    for i in range(4):
        hold(engine, seed.carol, f"filler {i}")
    async with tui(size=(160, 30)) as h:
        await h.press("4")
        screen = h.app.screen
        table = screen.query_one("#generations")
        await h.press("N")
        assert "7–7 of 7" in h.text() and table.keys == [str(seed.completed)]
        await h.press("P")
        assert "1–2 of 7" in h.text()
        screen.query_one("#text", Input).value = "ROBOT"
        screen.query_one("#text", Input).focus()
        await h.press("enter")
        assert table.keys == [str(seed.failed)] and "upstream_failed" in h.text()  # the error column
