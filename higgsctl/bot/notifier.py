"""A periodic sweep that tells users what happened elsewhere.

- Top-up decisions made in the TUI or CLI (another process) reach the user: each decision is
  claimed with ``claim_notification`` (only one caller wins) and then announced.
- Results that are finished but not delivered (a send failed, another process finished a bot
  job, a restart) are delivered through ``Delivery.deliver`` (exactly-once rules there).
"""

from __future__ import annotations

import asyncio
import logging

from telegram.error import TelegramError
from telegram.ext import Application

from higgsctl.engine import Engine, TopUpRequest

from .services import Services, db
from .texts import admin, t

log = logging.getLogger("higgsctl.bot.notifier")


class Notifier:
    def __init__(self, app: Application, engine: Engine, interval: float = 5.0) -> None:
        self.app = app
        self.engine = engine
        self.interval = interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="bot-notifier")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("notifier sweep failed", exc_info=exc)
            await asyncio.sleep(self.interval)  # the sweep's period

    async def tick(self) -> None:
        services: Services = self.app.bot_data["higgsctl"]
        # Each item on its own: one that fails (and is retried next sweep) never holds up the rest.
        for topup in await db(self.engine.topups.undelivered_decisions):
            try:
                await announce_decision(services, topup)
            except Exception as exc:
                log.error("top-up #%s: decision not announced", topup.id, exc_info=exc)
        delivery = services.delivery
        for generation in await db(self.engine.generations.undelivered, "bot"):
            if delivery.due(generation.id):
                try:
                    await delivery.deliver(generation.id)
                except Exception as exc:
                    log.error("generation %s: delivery failed", generation.id, exc_info=exc)


async def announce_decision(services: Services, topup: TopUpRequest, actor_name: str | None = None) -> None:
    """Tell the user about a decision (once: claim first, a lost notice costs nothing since the
    balance already changed) and show every admin's copy of the request who decided."""
    engine, bot = services.engine, services.delivery.app.bot
    if await db(engine.topups.claim_notification, topup.id):
        user = await db(engine.users.get, topup.user_id)
        balance = await db(engine.credits.balance, topup.user_id)
        key = "topup_approved" if topup.status == "approved" else "topup_rejected"
        if topup.status != "approved" and topup.reason_shared and topup.reason:
            key = "topup_rejected_reason"  # the admin chose to tell the user why
        try:
            await bot.send_message(user.id, t(user.language, key, id=topup.id, amount=topup.granted or 0, balance=balance,
                                              reason=topup.reason or ""))
        except TelegramError as exc:
            log.warning("top-up #%s: user %s not notified: %s", topup.id, topup.user_id, exc)
    await update_admin_copies(services, topup, actor_name)


async def update_admin_copies(services: Services, topup: TopUpRequest, actor_name: str | None = None) -> None:
    copies = services.topup_messages.pop(topup.id, [])
    if not copies:
        return
    user = await db(services.engine.users.get, topup.user_id)
    text = decided_text(topup, user.display_name, actor_name)
    for chat_id, message_id in copies:
        try:
            await services.delivery.app.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
        except TelegramError as exc:
            log.info("top-up #%s: admin copy in %s not edited: %s", topup.id, chat_id, exc)


def decided_text(topup: TopUpRequest, user_name: str, actor_name: str | None = None) -> str:
    granted = f" (+{topup.granted})" if topup.status == "approved" and topup.granted else ""
    return admin("topup_decided", id=topup.id, user=user_name, status=topup.status,
                 actor=actor_name or topup.decided_by or "?", granted=granted)
