"""Users: search, sort by column, page through (200 at a time), open one."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Input

from higgsctl.engine.users import UserRow

from ..messages import OpenUser
from ..widgets.pager import Pager
from ..widgets.record_table import RecordTable
from ..widgets.users_table import UsersTable
from .base import PagedScreen

PAGE_SIZE = 200
SORT_CYCLE = ("id", "username", "balance", "generations", "last_seen_at")
DESCENDING_FIRST = {"balance", "generations", "last_seen_at"}


@dataclass(frozen=True)
class UserQuery:
    search: str = ""
    order: str = "id"
    descending: bool = False
    offset: int = 0


@dataclass(frozen=True)
class UsersPage:
    query: UserQuery
    rows: list[UserRow]
    total: int


class UsersScreen(PagedScreen):
    TITLE = "Users"
    AUTO_FOCUS = "#users"
    BINDINGS = [
        Binding("slash", "search", "Search"),
        Binding("n", "page(1)", "Next page"),
        Binding("p", "page(-1)", "Prev page"),
        Binding("s", "sort_next", "Sort"),
        Binding("d", "reverse", "Reverse"),
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.query_state = UserQuery()
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="search: id, @username or name  (/ to focus, Esc to leave)", id="search")
        yield UsersTable(id="users")
        yield Pager(id="pager")
        yield Footer()

    # --- data ------------------------------------------------------------------------

    def fetch(self) -> UsersPage:
        q = self.query_state
        search = q.search or None
        rows = self.engine.users.list(
            search=search, order=q.order, descending=q.descending, limit=PAGE_SIZE, offset=q.offset
        )
        return UsersPage(q, rows, self.engine.users.count(search))

    def show(self, page: UsersPage) -> None:
        if page.query != self.query_state:  # the admin moved on while this was loading
            return
        self.total = page.total
        table = self.query_one("#users", UsersTable)
        table.show_sort(page.query.order, page.query.descending)
        table.show_users(page.rows)
        self.query_one("#pager", Pager).show_page(page.query.offset, len(page.rows), page.total, PAGE_SIZE)

    # --- actions ---------------------------------------------------------------------

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_page(self, step: int) -> None:
        self.turn_page(step, PAGE_SIZE)

    def action_sort_next(self) -> None:
        current = SORT_CYCLE.index(self.query_state.order) if self.query_state.order in SORT_CYCLE else -1
        self._sort_by(SORT_CYCLE[(current + 1) % len(SORT_CYCLE)])

    def action_reverse(self) -> None:
        self.change(descending=not self.query_state.descending, offset=0)

    def _sort_by(self, column: str) -> None:
        if column == self.query_state.order:
            self.action_reverse()
        else:
            self.change(order=column, descending=column in DESCENDING_FIRST, offset=0)

    # --- events ----------------------------------------------------------------------

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        self.change(search=event.value.strip(), offset=0)

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.query_one("#users", UsersTable).focus()

    def key_escape(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one("#users", UsersTable).focus()

    @on(RecordTable.SortRequested, "#users")
    def _header(self, event: RecordTable.SortRequested) -> None:
        self._sort_by(event.column)

    @on(RecordTable.Chosen, "#users")
    def _open(self, event: RecordTable.Chosen) -> None:
        self.post_message(OpenUser(int(event.key)))
