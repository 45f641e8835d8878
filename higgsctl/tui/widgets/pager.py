"""The line under a paged table: which rows are shown out of how many."""

from __future__ import annotations

from textual.widgets import Static

from ..format import literal


class Pager(Static):
    def show_page(self, offset: int, shown: int, total: int, page_size: int) -> None:
        pages = max(1, -(-total // page_size))
        page = offset // page_size + 1
        if shown:
            text = f"{offset + 1:,}–{offset + shown:,} of {total:,}   ·   page {page:,} of {pages:,}"
        else:
            text = f"nothing to show ({total:,} in all)"
        self.update(literal(text))
