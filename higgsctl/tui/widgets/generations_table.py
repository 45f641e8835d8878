"""A page of generations, as ``engine.history.list`` returns them (with the user joined)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine import Generation

from .. import format as fmt
from .record_table import Column, RecordTable


class GenerationsTable(RecordTable):
    COLUMNS = (
        Column("id", "#", justify="right"),
        Column("created_at", "Created (UTC)"),
        Column("user", "User"),
        Column("model", "Model"),
        Column("status", "Status"),
        Column("cost", "Cost", justify="right"),
        Column("charge", "Charge"),
        Column("prompt", "Prompt"),
    )

    def show_generations(self, generations: Iterable[Generation]) -> None:
        self.show_rows((str(g.id), self._cells(g)) for g in generations)

    @staticmethod
    def _cells(g: Generation) -> tuple:
        return (
            Text(str(g.id), justify="right"),
            fmt.when(g.created_at),
            fmt.literal(fmt.short(g.user.display_name, 32)),
            fmt.literal(g.model),
            fmt.status(g.status),
            Text(fmt.credits(g.cost), justify="right"),
            fmt.literal(g.charge),
            fmt.literal(fmt.short(g.prompt, 40)),
        )


class GenerationsWithErrorsTable(GenerationsTable):
    """The generations list: the same, with why each one ended (its error code)."""

    COLUMNS = (*GenerationsTable.COLUMNS[:-1], Column("error_code", "Error"), GenerationsTable.COLUMNS[-1])

    @staticmethod
    def _cells(g: Generation) -> tuple:
        cells = GenerationsTable._cells(g)
        return (*cells[:-1], fmt.literal(fmt.short(g.error_code, 20), style="red"), cells[-1])
