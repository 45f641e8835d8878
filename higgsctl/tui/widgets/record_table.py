"""A DataTable redrawn from whole pages of records that keeps the cursor on the same record
across live refreshes, and reports what the admin wants (open a record, sort by a column)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from ..format import literal

Row = tuple[str, tuple]  # (record key, cells)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sortable: bool = False
    justify: str = "left"


class RecordTable(DataTable):
    COLUMNS: Sequence[Column] = ()

    class Chosen(Message):
        """The admin opened a record (Enter or a click on a highlighted row)."""

        def __init__(self, table: "RecordTable", key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> "RecordTable":
            return self.table

    class SortRequested(Message):
        """The admin clicked a sortable column header."""

        def __init__(self, table: "RecordTable", column: str) -> None:
            super().__init__()
            self.table = table
            self.column = column

        @property
        def control(self) -> "RecordTable":
            return self.table

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._rows: list[Row] = []
        self._sort: tuple[str, bool] | None = None
        self._labels: list[Text] = []

    def on_mount(self) -> None:
        self._set_columns()

    # --- what the screen calls -------------------------------------------------------

    def show_rows(self, rows: Iterable[Row]) -> None:
        """Replace the rows; the highlighted record stays highlighted if still present.
        A str cell is shown literally (DataTable would parse it as markup)."""
        rows = [(key, tuple(literal(c) if isinstance(c, str) else c for c in cells)) for key, cells in rows]
        if rows == self._rows:
            return
        keep = self.highlighted_key
        self._rows = rows
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if keep is not None and any(key == keep for key, _ in rows):
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def show_sort(self, column: str, descending: bool) -> None:
        """Mark the column the rows are sorted by."""
        if self._sort != (column, descending):
            self._sort = (column, descending)
            self._set_columns()

    @property
    def highlighted_key(self) -> str | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return row_key.value

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self._rows]

    # --- internals -------------------------------------------------------------------

    def _set_columns(self) -> None:
        labels = [self._label(column) for column in self.COLUMNS]
        if labels == self._labels:
            return
        self._labels = labels
        self.clear(columns=True)
        for column, label in zip(self.COLUMNS, labels):
            self.add_column(label, key=column.key)
        for key, cells in self._rows:
            self.add_row(*cells, key=key)

    def _label(self, column: Column) -> Text:
        arrow = ""
        if self._sort and self._sort[0] == column.key:
            arrow = " ▼" if self._sort[1] else " ▲"
        return Text(column.label + arrow, justify=column.justify, style="bold" if arrow else "")

    @on(DataTable.RowSelected)
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Chosen(self, event.row_key.value))

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        column = next((c for c in self.COLUMNS if c.key == event.column_key.value), None)
        if column is not None and column.sortable:
            self.post_message(self.SortRequested(self, column.key))
