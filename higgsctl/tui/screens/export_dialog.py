"""The export dialog: what to export (users, generations, the ledger), as CSV or JSON, since
when, and to which file (by default a new file under the data folder's exports/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

from higgsctl.engine import ExportOptions, InvalidInput
from higgsctl.engine.exports import FORMATS, KINDS, parse_since

from ..format import literal


@dataclass(frozen=True)
class ExportChoice:
    options: ExportOptions
    path: Path


class ExportDialog(ModalScreen[ExportChoice | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, folder: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Export", classes="question")
            with Horizontal(classes="buttons"):
                yield Select([(k, k) for k in KINDS], value=KINDS[0], allow_blank=False, id="kind")
                yield Select([(f, f) for f in FORMATS], value=FORMATS[0], allow_blank=False, id="format")
            yield Input(placeholder="since (optional): 2026-12-01", id="since")
            yield Input(self._default_path(KINDS[0], FORMATS[0]), id="path")
            yield Label("", id="export-problem", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button("Export", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#kind", Select).focus()

    def _default_path(self, kind: str, fmt: str) -> str:
        return str(self.folder / f"{kind}-{datetime.now():%Y%m%d-%H%M%S}.{fmt}")

    @on(Select.Changed)
    def _kind_or_format(self) -> None:
        """A path still as we proposed it follows the kind and format."""
        path = self.query_one("#path", Input)
        if Path(path.value).parent == self.folder:
            kind, fmt = self.query_one("#kind", Select).value, self.query_one("#format", Select).value
            path.value = self._default_path(str(kind), str(fmt))

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    def _ok(self) -> None:
        since_text = self.query_one("#since", Input).value.strip()
        path_text = self.query_one("#path", Input).value.strip()
        try:
            since = parse_since(since_text) if since_text else None
        except InvalidInput as exc:
            self.query_one("#export-problem", Label).update(literal(exc.message))
            return
        if not path_text:
            self.query_one("#export-problem", Label).update("Name the file to write.")
            return
        options = ExportOptions(str(self.query_one("#kind", Select).value),
                                str(self.query_one("#format", Select).value), since)
        self.dismiss(ExportChoice(options, Path(path_text).expanduser()))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
