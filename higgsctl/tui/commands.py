"""Command palette entries (Ctrl+P): go to a screen, approve the next top-up, search users,
and open a user by @name or id, or a generation by #id, typed straight into the palette."""

from __future__ import annotations

import asyncio
import re
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from higgsctl.engine import HiggsctlError

from .format import literal
from .messages import OpenGeneration, OpenUser

GENERATION = re.compile(r"#([0-9]{1,19})")


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
        for hit in await self._direct(query.strip()):
            yield hit
        matcher = self.matcher(query)
        for name, command, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, help=help_text)

    async def _direct(self, query: str) -> list[Hit]:
        """"@alice" or "123456" opens that user, "#42" that generation (looked up off the loop)."""
        engine, app = self.app.engine, self.app
        if match := GENERATION.fullmatch(query):
            gid = int(match.group(1))
            try:
                generation = await asyncio.to_thread(engine.generations.get, gid)
            except HiggsctlError:
                return []
            return [Hit(100, literal(f"Open generation #{gid}"), partial(app.post_message, OpenGeneration(gid)),
                        help=literal(f"{generation.status} · {generation.prompt[:60]}"))]
        if query.startswith("@") or query.isdigit():
            try:
                user = await asyncio.to_thread(engine.users.resolve, query)
            except HiggsctlError:
                return []
            return [Hit(100, literal(f"Open user {user.display_name}"), partial(app.post_message, OpenUser(user.id)),
                        help=literal(f"balance {user.balance:,}" + (" · blocked" if user.blocked else "")))]
        return []
