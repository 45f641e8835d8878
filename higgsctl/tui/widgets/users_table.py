"""The users table: one page of ``engine.users.list`` rows."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

from higgsctl.engine.users import UserRow

from .. import format as fmt
from .record_table import Column, RecordTable


class UsersTable(RecordTable):
    COLUMNS = (
        Column("id", "ID", sortable=True, justify="right"),
        Column("username", "Username", sortable=True),
        Column("name", "Name"),
        Column("balance", "Balance", sortable=True, justify="right"),
        Column("generations", "Generations", sortable=True, justify="right"),
        Column("last_seen_at", "Last seen (UTC)", sortable=True),
        Column("blocked", "Blocked"),
    )

    def show_users(self, rows: Iterable[UserRow]) -> None:
        self.show_rows((str(row.user.id), self._cells(row)) for row in rows)

    @staticmethod
    def _cells(row: UserRow) -> tuple:
        user = row.user
        name = " ".join(p for p in (user.first_name, user.last_name) if p)
        return (
            Text(str(user.id), justify="right"),
            fmt.literal(fmt.short(f"@{user.username}", 33) if user.username else "—"),
            fmt.literal(fmt.short(name, 24)),
            Text(fmt.credits(user.balance), justify="right"),
            Text(f"{row.generations:,}", justify="right"),
            fmt.when(user.last_seen_at),
            Text("blocked", style="bold red") if user.blocked else "",
        )
