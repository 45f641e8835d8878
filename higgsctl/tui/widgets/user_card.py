"""The head of the user screen: who they are, their balance and whether they are blocked."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from higgsctl.engine import TopUpRequest, User

from .. import format as fmt


class UserCard(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("…", id=id, classes="card")

    def show_user(self, user: User, generations: int, pending: TopUpRequest | None = None) -> None:
        self.border_title = fmt.literal(f"{user.display_name} · {user.id}")
        name = " ".join(p for p in (user.first_name, user.last_name) if p) or "—"
        state = Text("BLOCKED", style="bold red") if user.blocked else Text("active", style="green")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column()
        grid.add_column(style="dim")
        grid.add_column()
        grid.add_row("Balance", Text(fmt.credits(user.balance), style="bold"), "Status", state)
        username = fmt.literal(f"@{user.username}" if user.username else "—")
        grid.add_row("Username", username, "Name", fmt.literal(name))
        grid.add_row("Generations", f"{generations:,}", "Language", fmt.literal(user.language))
        grid.add_row("Signed up", fmt.when(user.created_at), "Last seen", fmt.when(user.last_seen_at))
        if pending is not None:  # what the admin may want to act on from here
            ask = Text(f"#{pending.id}: {fmt.credits(pending.amount)} credits, asked {fmt.when(pending.created_at)}",
                       style="bold yellow")
            grid.add_row("Top-up", ask, "", Text("press 3 to decide", style="dim"))
        self.update(grid)
