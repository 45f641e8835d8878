"""Broadcasts: every broadcast, newest first, with its recipients counted by outcome; compose
one (text, audience, an optional photo), see how many users it reaches, confirm, and it is
queued; pause, resume or cancel the selected one. The running bot sends them, paced under
Telegram's limits; this screen only queues and steers them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Header, Input, Label, Select, TextArea

from higgsctl.engine.broadcasts import Report

from ..format import literal, short
from ..widgets.broadcasts_table import BroadcastsTable
from .base import EngineScreen, Failed
from .dialogs import ConfirmDialog

AUDIENCES = ("all", "active:7", "active:30", "balance", "paid", "lang:en", "lang:ru")


@dataclass(frozen=True)
class BroadcastDraft:
    text: str
    audience: str
    photo: Path | None = None


class ComposeDialog(ModalScreen[BroadcastDraft | None]):
    """The message (Tab leaves the text), its audience and an optional photo file. The engine
    checks the length (4096, or 1024 under a photo) and the photo when it is queued."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New broadcast (the running bot sends it)", classes="question")
            yield TextArea(id="text", soft_wrap=True, show_line_numbers=False)
            with Horizontal(classes="fields"):
                yield Select([(a, a) for a in AUDIENCES], value="all", allow_blank=False, id="audience")
                yield Input(placeholder="photo file (optional)", id="photo")
            yield Label("", id="broadcast-problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Next", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#text", TextArea).focus()

    @property
    def problem(self) -> str:
        return str(self.query_one("#broadcast-problem", Label).content)

    @on(Input.Submitted, "#photo")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#text", TextArea).text.strip()
        if not text:
            self.query_one("#broadcast-problem", Label).update("Type the message.")
            self.app.bell()
            return
        photo = self.query_one("#photo", Input).value.strip()
        audience = str(self.query_one("#audience", Select).value)
        self.dismiss(BroadcastDraft(text, audience, Path(photo).expanduser() if photo else None))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class BroadcastsScreen(EngineScreen):
    TITLE = "Broadcasts"
    AUTO_FOCUS = "#broadcasts"
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("p", "set_status('paused')", "Pause"),
        Binding("r", "set_status('queued')", "Resume"),
        Binding("c", "set_status('canceled')", "Cancel"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.reports: dict[str, Report] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("The running bot sends queued broadcasts; here you queue, pause and cancel them.",
                    classes="section")
        yield BroadcastsTable(id="broadcasts")
        yield Footer()

    def fetch(self) -> list[Report]:
        return self.engine.broadcasts.list()

    def show(self, reports: list[Report]) -> None:
        self.reports = {str(r.broadcast.id): r for r in reports}
        self.query_one("#broadcasts", BroadcastsTable).show_reports(reports)

    # --- compose: the dialog, the count (worker), the confirmation, the queueing (worker) ---

    def action_new(self) -> None:
        self.app.push_screen(ComposeDialog(), lambda draft: self.count(draft) if draft else None)

    @work(thread=True, exclusive=True, group="write")
    def count(self, draft: BroadcastDraft) -> None:
        try:
            reach = self.call_engine(self.engine.broadcasts.count, draft.audience)
        except Failed:
            return
        self.deliver(self._confirm, draft, reach)

    def _confirm(self, draft: BroadcastDraft, reach: int) -> None:
        photo = f" with the photo {draft.photo}" if draft.photo else ""
        question = (f"Broadcast to {draft.audience}{photo}: reaches {reach:,} user{'' if reach == 1 else 's'}.\n"
                    f"“{short(draft.text, 120)}”\nQueue it? The running bot sends it.")
        self.app.push_screen(ConfirmDialog(question, yes="Queue"),
                             lambda yes: self.create(draft) if yes else None)

    @work(thread=True, exclusive=True, group="write")
    def create(self, draft: BroadcastDraft) -> None:
        try:
            report = self.call_engine(self.engine.broadcasts.create, draft.text, draft.audience,
                                      actor=self.app.actor, photo=draft.photo)
        except Failed:
            return
        self.app.notify(f"Broadcast #{report.broadcast.id} queued for {report.total:,} users.")
        self.deliver(self.reload)

    # --- pause / resume / cancel ---------------------------------------------------------

    def action_set_status(self, status: str) -> None:
        key = self.query_one("#broadcasts", BroadcastsTable).highlighted_key
        report = self.reports.get(key) if key else None
        if report is None:
            self.notify("No broadcast selected.", severity="warning")
            return
        b = report.broadcast
        if status == "paused":
            self.set_status(b.id, status)
            return
        left = report.counts.get("pending", 0)
        verb = {"queued": "Resume", "canceled": "Cancel"}[status]
        question = (f"{verb} broadcast #{b.id} ({b.status}, {left:,} not sent yet)?"
                    + ("\nNobody else gets it; it cannot be resumed." if status == "canceled" else ""))
        self.app.push_screen(ConfirmDialog(question, yes=verb),
                             lambda yes: self.set_status(b.id, status) if yes else None)

    @work(thread=True, exclusive=True, group="write")
    def set_status(self, broadcast_id: int, status: str) -> None:
        try:
            changed = self.call_engine(self.engine.broadcasts.set_status, broadcast_id, status, actor=self.app.actor)
        except Failed:
            return
        done = {"paused": "paused", "queued": "resumed", "canceled": "canceled"}[status]
        if changed:
            self.app.notify(f"Broadcast #{broadcast_id} {done}.")
        else:
            self.app.notify(f"Broadcast #{broadcast_id} can't be {done} now (see its status).", severity="warning")
        self.deliver(self.reload)
