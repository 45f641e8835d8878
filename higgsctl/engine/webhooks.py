"""Higgsfield's webhooks: push instead of poll.

Higgsfield POSTs to ``[higgsfield] webhook_url`` when a request ends. The receiver
(``WebhookInbox``, served by ``webhook_server``) checks the Standard Webhooks signature with
the ``standardwebhooks`` library (``webhook-id``, ``webhook-timestamp`` within ±5 minutes,
``webhook-signature`` over ``id.timestamp.body``; any of the configured ``whsec_`` secrets, so a
rotation's two secrets both pass), writes the delivery down keyed on ``webhook-id`` before
answering 2xx (a redelivery is recognised and acted on once), and wakes the job that follows
that request. A finished image the webhook names is downloaded at once (the signature says
Higgsfield sent it, the timestamp that it is recent, and the request id must be the job's);
any other news (failed, NSFW, a payload we can't read) makes the job ask the status endpoint,
so credits are only released on the API's own word. Polling stays, slower (``webhook_poll``),
as the safety net.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from peewee import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from . import fastsql
from .db import write_transaction
from .errors import HiggsfieldError
from .higgsfield import RequestStatus
from .http_server import Reply, TinyServer, text
from .models import WebhookDelivery, database, utcnow
from .pg_listen import WEBHOOKS, notify

if TYPE_CHECKING:
    from .core import Engine

log = logging.getLogger("higgsctl.webhooks")
MAX_BODY = 256 * 1024
# Hot path (a burst of webhooks when many jobs end together): SQL text kept, see fastsql.py.
RECORD = 'INSERT INTO "webhook_delivery" ("webhook_id", "request_id", "status", "received_at") VALUES (?, ?, ?, ?)'
FIND = 'SELECT "id" FROM "generation" WHERE "request_id" = ?'


class WebhookInbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.verifiers = [Webhook(secret) for secret in engine.settings.higgsfield.webhook_secret.split()]

    def verify(self, body: bytes, headers: dict[str, str]) -> dict:
        """The payload, if any configured secret signed it within the tolerance."""
        problem = "no webhook secret is configured"
        for verifier in self.verifiers:
            try:
                payload = verifier.verify(body, headers)
            except WebhookVerificationError as exc:
                problem = str(exc)
                continue
            except ValueError:  # a body that is not JSON, under a good signature
                raise WebhookVerificationError("the body is not JSON") from None
            if not isinstance(payload, dict):
                raise WebhookVerificationError("the body is not a JSON object")
            return payload
        raise WebhookVerificationError(problem)

    @staticmethod
    def record(webhook_id: str, request_id: str | None, status: str | None) -> int | None:
        """Write the delivery down; the generation to wake, or None for a redelivery (or a
        request that is none of ours)."""
        try:
            with write_transaction(database.obj):
                fastsql.execute(RECORD, webhook_id[:255], request_id, status, WebhookDelivery.received_at.db_value(utcnow()))
                notify(WEBHOOKS, request_id or "")  # other processes' tails look at once (PostgreSQL)
        except IntegrityError:
            return None
        return fastsql.scalar(FIND, request_id) if request_id else None

    async def receive(self, body: bytes, headers: dict[str, str]) -> Reply:
        try:
            payload = self.verify(body, headers)
        except WebhookVerificationError as exc:
            log.warning("refused a webhook: %s", exc)
            return text(401, "signature refused")
        request_id, status = payload.get("request_id"), payload.get("status")
        request_id = request_id if isinstance(request_id, str) else None
        status = status if isinstance(status, str) else None
        generation_id = await self.engine.run_db(self.record, headers["webhook-id"], request_id, status)
        if generation_id is not None:
            log.info("webhook: request %s is %s; waking generation %s", request_id, status, generation_id)
            self.engine.generations.nudge(generation_id, outcome(payload))
        return 204, "text/plain", b""


def outcome(payload: dict) -> RequestStatus | None:
    """The request's status as the webhook tells it (either documented shape), if it parses."""
    try:
        return RequestStatus.from_json(payload)
    except HiggsfieldError:
        return None


def webhook_server(engine: Engine) -> TinyServer:
    """Listens on webhook_listen:webhook_port for POSTs to webhook_url's path (the proxy in
    front passes the path through)."""
    hf = engine.settings.higgsfield
    path = urlsplit(hf.webhook_url).path or "/"
    return TinyServer({("POST", path): WebhookInbox(engine).receive}, hf.webhook_listen, hf.webhook_port,
                      max_body=MAX_BODY, name="higgsfield webhooks")

