"""An outcome that is not an image (failed, blocked, timed out, cancelled) arrives as a new
message, so the user is notified: what happened, that the credits came back, the balance,
and Try again / Change prompt. The status message is then tidied: edited to a short last
line without buttons. Edited rather than deleted: an edit of the bot's own message works at
any age (deleting is refused after 48 hours, and a job may take that long to end), it is
safe to repeat after a crash ("not modified"), and nothing vanishes under the user's thumb.
"""

from __future__ import annotations

from telegram.ext import Application

from higgsctl.engine import Engine, Generation

from .outcome_keyboards import outcome
from .result_sender import Parts
from .texts import outcome_key, t
from .tracking import Target, Tracker


class OutcomeNotice:
    def __init__(self, app: Application, engine: Engine, tracker: Tracker) -> None:
        self.app = app
        self.engine = engine
        self.tracker = tracker

    def _price(self, generation: Generation) -> int:
        """What Try again would hold now (the catalog's price; the row's if the model is gone)."""
        spec = self.engine.settings.models.get(generation.model)
        return spec.price if spec else generation.cost

    async def single(self, generation: Generation, target: Target, balance: int, parts: Parts) -> None:
        """Part 0: the notice; then the status message's last line."""
        gid, lang = generation.id, target.lang
        if parts.due(0):
            text = t(lang, outcome_key(generation.status, generation.error_code), id=gid, cost=generation.cost,
                     balance=balance)
            with self.tracker.calling():
                await self.app.bot.send_message(target.chat_id, text,
                                                reply_markup=outcome(lang, gid, self._price(generation)))
            await parts.mark(0)
        await self.tracker.show(gid, target, t(lang, f"tidy_{generation.status}", id=gid))

    async def batch(self, failed: list[Generation], count: int, target: Target, balance: int, parts: Parts,
                    part: int) -> None:
        """The images of a batch that could not be made, named in one notice (part ``part``)."""
        if not failed or not parts.due(part):
            return
        lang = target.lang
        lines = "\n".join(t(lang, f"why_{g.status}", id=g.id) for g in failed)
        refund = sum(g.cost for g in failed if g.charge == "released")
        text = t(lang, "batch_failed", failed=len(failed), count=count, lines=lines, refund=refund, balance=balance)
        with self.tracker.calling():
            await self.app.bot.send_message(target.chat_id, text,
                                            reply_markup=outcome(lang, failed[0].id, self._price(failed[0])))
        await parts.mark(part)
