"""Everything about one generation: prompt, references, timings, error, charge, result files,
and what admins did to it (cancel, refund, re-send)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from higgsctl.engine import AuditEntry, Generation, User

from .. import format as fmt


@dataclass(frozen=True)
class GenerationDetails:
    generation: Generation
    user: User
    references: Sequence[str]  # absolute paths (or why a path was refused)
    results: Sequence[str]
    actions: Sequence[AuditEntry] = ()  # admin actions on it, newest first


class GenerationCard(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("…", id=id, classes="card")

    def show_details(self, details: GenerationDetails) -> None:
        g = details.generation
        self.border_title = f"Generation #{g.id}"
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row("Status", fmt.status(g.status))
        grid.add_row("User", fmt.literal(f"{details.user.display_name} ({details.user.id})"))
        grid.add_row("Model", fmt.literal(f"{g.model} · {g.aspect_ratio} · via {g.source}"))
        grid.add_row("Charge", fmt.literal(f"{fmt.credits(g.cost)} credits, {g.charge}"))
        grid.add_row("Created", fmt.when(g.created_at, seconds=True))
        grid.add_row("Submitted", fmt.when(g.submitted_at, seconds=True))
        grid.add_row("Finished", fmt.when(g.finished_at, seconds=True))
        grid.add_row("Delivered", fmt.when(g.delivered_at, seconds=True))
        grid.add_row("Request id", fmt.literal(g.request_id or "—"))
        grid.add_row("Error", fmt.literal(g.error, style="red", multiline=True) if g.error else "—")
        grid.add_row("Prompt", fmt.literal(g.prompt, multiline=True))
        grid.add_row("References", _paths(details.references))
        grid.add_row("Result files", _paths(details.results))
        if details.actions:
            grid.add_row("Admin actions", _actions(details.actions))
        self.update(grid)


def _actions(entries: Sequence[AuditEntry]) -> Text:
    lines = [f"{fmt.when(e.created_at, seconds=True)} {e.action} by {e.actor}" + (f": {e.reason}" if e.reason else "")
             for e in entries]
    return fmt.literal("\n".join(fmt.plain(line) for line in lines), multiline=True)


def _paths(paths: Sequence[str]) -> Text:
    return fmt.literal("\n".join(fmt.plain(p) for p in paths), multiline=True) if paths else Text("—")
