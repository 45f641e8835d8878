"""The audit trail: every admin action, newest first; filter by action and user, page
through 100 at a time."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer, Header, Input, Select

from higgsctl.engine import AuditEntry, AuditFilter
from higgsctl.engine.audit import ACTIONS

from ..widgets.audit_table import AuditTable
from ..widgets.pager import Pager
from .base import PAGE_BINDINGS, PagedScreen

@dataclass(frozen=True)
class AuditQuery:
    action: str | None = None
    user: str | None = None  # "123" or "@name"
    offset: int = 0


@dataclass(frozen=True)
class AuditPage:
    query: AuditQuery
    entries: list[AuditEntry]
    total: int


class AuditScreen(PagedScreen):
    TITLE = "Audit trail"
    AUTO_FOCUS = "#audit"
    BINDINGS = [
        Binding("f", "filters", "Filter"),
        *PAGE_BINDINGS,
        Binding("ctrl+r", "reload", "Refresh", show=False),
    ]

    def __init__(self, engine, *, refresh_interval: float = 2.0) -> None:
        super().__init__(engine, refresh_interval=refresh_interval)
        self.query_state = AuditQuery()
        self.total = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="audit-filters"):
            yield Select([(a, a) for a in ACTIONS], prompt="any action", id="action")
            yield Input(placeholder="user id or @name (Enter)", id="user")
        yield AuditTable(id="audit")
        yield Pager(id="pager")
        yield Footer()

    def fetch(self) -> AuditPage:
        q = self.query_state
        user_id = self.engine.users.resolve(q.user).id if q.user else None
        f = AuditFilter(user_id=user_id, action=q.action, limit=self.page_size, offset=q.offset)
        return AuditPage(q, self.engine.audit.list(f), self.engine.audit.count(f))

    def show(self, page: AuditPage) -> None:
        if page.query != self.query_state:
            return
        self.total = page.total
        self.query_one("#audit", AuditTable).show_entries(page.entries)
        self.query_one("#pager", Pager).show_page(page.query.offset, len(page.entries), page.total, self.page_size)

    def action_filters(self) -> None:
        self.query_one("#action").focus()

    @on(Select.Changed, "#action")
    def _action(self, event: Select.Changed) -> None:
        self.change(action=None if event.value is Select.NULL else str(event.value), offset=0)

    @on(Input.Submitted, "#user")
    def _user(self, event: Input.Submitted) -> None:
        self.change(user=event.value.strip() or None, offset=0)
