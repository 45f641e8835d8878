"""The emulator's webhook mode (Bot API: setWebhook, getWebhookInfo, deleteWebhook): once a
webhook is set, updates are POSTed to it (with ``X-Telegram-Bot-Api-Secret-Token`` when a
secret was given) instead of being handed out by getUpdates, which then answers 409.

Telegram only calls HTTPS URLs on ports 443, 80, 88 or 8443; a test has no certificate, so
``TelegramEmulator.webhook_target`` plays the reverse proxy a real deployment has: the HTTPS
URL the bot registers is delivered to that local http:// address (its path kept)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp

from .emulator_formatting import ApiError, bad_request
from .emulator_methods import _deliverable, get_updates

if TYPE_CHECKING:
    from .telegram_emulator import TelegramEmulator

SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
PORTS = {443, 80, 88, 8443}
RETRY = 0.2  # seconds before an update whose delivery failed is tried again


class Webhook:
    def __init__(self, url: str, secret: str | None, allowed: list[str] | None) -> None:
        self.url, self.secret, self.allowed = url, secret, allowed
        self.last_error: tuple[int, str] | None = None
        self.task: asyncio.Task | None = None
        self.deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status) of every attempt


def _state(self: TelegramEmulator) -> Webhook | None:
    return getattr(self, "_webhook", None)


async def set_webhook(self: TelegramEmulator, p: dict) -> bool:
    url = str(p.get("url") or "")
    if not url:  # an empty URL removes the webhook, as deleteWebhook does
        return await delete_webhook(self, p)
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
    secret = p.get("secret_token")
    if secret is not None and not SECRET.fullmatch(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if p.get("drop_pending_updates"):
        self._updates.clear()
    await _stop(self)
    hook = self._webhook = Webhook(url, secret, list(p["allowed_updates"]) if p.get("allowed_updates") else None)
    if hook.allowed is not None:
        self._allowed_updates = hook.allowed
    hook.task = asyncio.create_task(_push(self, hook))
    return True


async def delete_webhook(self: TelegramEmulator, p: dict) -> bool:
    await _stop(self)
    self._webhook = None
    if p.get("drop_pending_updates"):
        self._updates.clear()
    return True


async def get_webhook_info(self: TelegramEmulator, p: dict) -> dict:
    hook = _state(self)
    info = {"url": hook.url if hook else "", "has_custom_certificate": False,
            "pending_update_count": len(self._updates)}
    if hook is not None:
        info["max_connections"] = 40
        if hook.allowed is not None:
            info["allowed_updates"] = hook.allowed
        if hook.last_error is not None:
            info["last_error_date"], info["last_error_message"] = hook.last_error
    return info


async def get_updates_unless_webhook(self: TelegramEmulator, p: dict) -> list[dict]:
    if _state(self) is not None:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                            "use deleteWebhook to delete the webhook first")
    return await get_updates(self, p)


async def _stop(self: TelegramEmulator) -> None:
    hook = _state(self)
    if hook is not None and hook.task is not None:
        hook.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await hook.task


async def _push(self: TelegramEmulator, hook: Webhook) -> None:
    """Deliver updates one at a time, oldest first; an update leaves the queue only when the
    bot answered 2xx (else it is retried, and getWebhookInfo shows the error)."""
    target = urlsplit(getattr(self, "webhook_target", None) or hook.url)
    path = urlsplit(hook.url).path or "/"
    address = f"{target.scheme}://{target.netloc}{path}"
    async with aiohttp.ClientSession() as session:
        while True:
            event = self._updates_event
            batch = _deliverable(self, 1)
            if not batch:
                await event.wait()
                continue
            update = batch[0]
            headers = {"Content-Type": "application/json"}
            if hook.secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret
            try:
                async with session.post(address, json=update, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=10)) as response:
                    status = response.status
                    reason = response.reason or ""
            except (aiohttp.ClientError, TimeoutError) as exc:
                status, reason = 0, f"Connection failed: {type(exc).__name__}"
            hook.deliveries.append((update["update_id"], status))
            if 200 <= status < 300:
                self._updates = [u for u in self._updates if u["update_id"] != update["update_id"]]
                continue
            hook.last_error = (int(time.time()), f"Wrong response from the webhook: {status} {reason}".strip()
                               if status else reason)
            await asyncio.sleep(RETRY)


METHODS = {"setWebhook": "api_set_webhook", "getWebhookInfo": "api_get_webhook_info",
           "deleteWebhook": "api_delete_webhook", "getUpdates": "api_get_updates"}
IMPLEMENTATIONS = {"api_set_webhook": set_webhook, "api_get_webhook_info": get_webhook_info,
                   "api_delete_webhook": delete_webhook, "api_get_updates": get_updates_unless_webhook}
