"""Command palette entries (Ctrl+P): go to a screen, approve the next top-up, search users."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class AdminCommands(Provider):
    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        go = app.switch_mode
        return [
            ("Go to overview", partial(go, "overview"), "Live figures and the latest generations"),
            ("Go to users", partial(go, "users"), "Search, sort and page through users"),
            ("Go to top-up requests", partial(go, "topups"), "Approve or reject requests"),
            ("Go to generations", partial(go, "generations"), "Filter by status, model, user or prompt"),
            ("Go to audit trail", partial(go, "audit"), "Who did which admin action, when, before and after (5)"),
            ("Export…", partial(app.run_action, "export"), "Users, generations or the ledger as CSV or JSON (x)"),
            ("Go to payments", partial(go, "payments"), "Stars revenue and payments; refund one (6)"),
            ("Promo codes", partial(go, "promos"), "Create promo codes, see their uses, disable one (7)"),
            ("Broadcasts", partial(go, "broadcasts"), "Compose a broadcast; pause, resume or cancel one (8)"),
            ("Approve next top-up", partial(app.run_action, "approve_next_topup"), "The oldest pending request, after a confirmation"),
            ("Search users", partial(app.run_action, "search_users"), "Jump to the users search box"),
            ("Refresh", partial(app.run_action, "screen.reload"), "Reload the current screen now"),
        ]

    async def discover(self) -> Hits:
        for name, command, help_text in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, command, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)
