"""peewee models. The schema itself is created by the numbered files in ``migrations/``."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from peewee import (
    BigIntegerField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()

OPERATOR_ID = 0  # the account `higgsctl generate` charges when no --as is given


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JSONField(TextField):
    def db_value(self, value):
        return None if value is None else json.dumps(value)

    def python_value(self, value):
        return None if value is None else json.loads(value)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    id = BigIntegerField(primary_key=True)  # the Telegram user id; 0 is the CLI operator
    username = CharField(null=True, index=True)
    first_name = CharField(default="")
    last_name = CharField(null=True)
    name_folded = TextField(default="")  # folding.user_names(): what a users search looks in
    language = CharField(default="en")
    balance = BigIntegerField(default=0)
    blocked = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    # /settings: what a typed prompt starts with (None: the last used, else the catalog's first)
    default_model = CharField(null=True)
    default_aspect = CharField(null=True)
    timezone = CharField(null=True)  # an IANA name ("Europe/Moscow"); None: UTC
    confirm_repeats = BooleanField(default=True)  # False: Regenerate and the like spend without asking
    blocked_bot_at = DateTimeField(null=True)  # Telegram said 403 (the user blocked the bot): skipped by broadcasts

    @property
    def display_name(self) -> str:
        if self.username:
            return f"@{self.username}"
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or str(self.id)


class Generation(BaseModel):
    user = ForeignKeyField(User, backref="generations", on_delete="RESTRICT")
    model = CharField()
    prompt = TextField()
    prompt_folded = TextField(default="")  # folding.fold(prompt): what a history search looks in
    aspect_ratio = CharField()
    style = CharField(null=True)  # the [styles] preset its prompt was wrapped in
    options = JSONField(null=True)  # the model's per-request options, as sent ({"resolution": "4K"})
    batch = CharField(null=True, index=True)  # shared by the generations of one request of several images
    references = JSONField(default=list)  # stored paths relative to the file store root
    reference_urls = JSONField(null=True)  # where they were uploaded (set once, reused on resume)
    source = CharField(default="cli")  # cli | bot
    chat_id = BigIntegerField(null=True)  # where the bot delivers the result
    status_message_id = BigIntegerField(null=True)
    idempotency_key = CharField(unique=True)
    # What started it, when a face names that (a bot button press: its callback query id; the
    # batch's further rows add "#2", "#3"...): a second hold under the same key is refused.
    origin_key = CharField(null=True, unique=True)
    request_id = CharField(null=True, unique=True)
    status_url = TextField(null=True)
    cancel_url = TextField(null=True)
    status = CharField(default="pending", index=True)
    error = TextField(null=True)
    error_code = CharField(null=True)  # why it ended, for faces to translate (see job.py)
    result_files = JSONField(default=list)
    cost = IntegerField()
    charge = CharField(default="held")  # held | captured | released | refunded
    created_at = DateTimeField(default=utcnow, index=True)
    submitted_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)
    # how many parts of the outcome (photo, file per result file, in that order) reached the user
    delivered_parts = IntegerField(default=0)
    # Several processes (engine/leases.py, engine/account_slots.py): who drives the job, until
    # when unless renewed; and whether its request counts against the account's limit.
    lease_owner = CharField(null=True)
    lease_until = DateTimeField(null=True)
    slot_held = BooleanField(default=False)


class TopUpRequest(BaseModel):
    user = ForeignKeyField(User, backref="topups", on_delete="RESTRICT")
    amount = BigIntegerField()  # requested
    status = CharField(default="pending", index=True)  # pending | approved | rejected
    granted = BigIntegerField(null=True)  # what an approval actually added
    decided_by = CharField(null=True)
    decided_at = DateTimeField(null=True)
    notified_at = DateTimeField(null=True)  # when the bot told the user of the decision
    created_at = DateTimeField(default=utcnow)
    reason = TextField(null=True)  # why it was rejected (recorded; see reason_shared)
    reason_shared = BooleanField(default=False)  # the user is told the reason with the decision


class Payment(BaseModel):
    """A Telegram Stars payment; ``charge_id`` (telegram_payment_charge_id) makes crediting it
    happen once. Status: credited → refunding → refunded (see payments.py)."""

    charge_id = CharField(unique=True)
    provider_charge_id = CharField(null=True)
    user = ForeignKeyField(User, backref="payments", on_delete="RESTRICT")
    pack = CharField()  # the pack id the invoice named ("" when the payload was not ours)
    stars = IntegerField()  # total_amount in XTR
    credits = BigIntegerField()  # what the purchase added
    payload = TextField()
    status = CharField(default="credited", index=True)  # credited | refunding | refunded
    taken_back = BigIntegerField(default=0)  # credits a refund took back
    shortfall = BigIntegerField(default=0)  # credits a refund made outside could not take back (spent)
    refund_origin = CharField(null=True)  # "higgsctl" (we called refundStarPayment) | "telegram" (made outside)
    refund_reason = TextField(null=True)
    refunded_by = CharField(null=True)  # actor
    support_status = CharField(null=True)  # a user's /paysupport refund request: pending | declined | refunded
    created_at = DateTimeField(default=utcnow, index=True)
    refunded_at = DateTimeField(null=True)
    receipt_at = DateTimeField(null=True)  # when the bot sent the receipt
    refund_notified_at = DateTimeField(null=True)  # when the bot told the user of the refund


class LedgerEntry(BaseModel):
    user = ForeignKeyField(User, backref="ledger", on_delete="RESTRICT")
    amount = BigIntegerField()  # signed: what this entry did to the balance
    reason = CharField()  # signup | hold | release | grant | topup | promo | refund | purchase | refund_undone
    actor = CharField()  # who caused it: "system", "admin:<id>", "cli", "user:<id>"
    note = TextField(null=True)
    generation = ForeignKeyField(Generation, null=True, backref="ledger", on_delete="RESTRICT")
    topup = ForeignKeyField(TopUpRequest, null=True, backref="ledger", on_delete="RESTRICT")
    payment = ForeignKeyField(Payment, null=True, backref="ledger", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow, index=True)


class PromoCode(BaseModel):
    code = CharField(unique=True)  # upper case, [A-Z0-9_-]: what /promo and t.me/<bot>?start=promo-CODE carry
    credits = BigIntegerField()  # added per redemption
    max_uses = IntegerField()  # redemptions in all; each user redeems a code once
    used = IntegerField(default=0)
    expires_at = DateTimeField(null=True)
    disabled = BooleanField(default=False)
    created_by = CharField()
    created_at = DateTimeField(default=utcnow)


class PromoRedemption(BaseModel):
    promo = ForeignKeyField(PromoCode, backref="redemptions", on_delete="RESTRICT")
    user = ForeignKeyField(User, backref="promo_redemptions", on_delete="RESTRICT")
    ledger = ForeignKeyField(LedgerEntry, on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("promo", "user"), True),)  # once per user


class Heartbeat(BaseModel):
    name = CharField(primary_key=True)  # "bot"
    host = CharField()
    pid = IntegerField()
    version = CharField()
    started_at = DateTimeField()
    beat_at = DateTimeField()
    stopped_at = DateTimeField(null=True)  # a clean stop; a crash leaves beat_at to go stale


class Broadcast(BaseModel):
    text = TextField()
    photo = CharField(null=True)  # stored path (relative to the file store), or None
    audience = CharField()  # all | active:N | balance | paid | lang:xx
    status = CharField(default="queued", index=True)  # queued | sending | paused | canceled | done
    paid = BooleanField(default=False)  # allow_paid_broadcast: faster, charged in Stars by Telegram
    photo_file_id = CharField(null=True)  # Telegram's id of the photo once sent: reused for the rest
    created_by = CharField()
    created_at = DateTimeField(default=utcnow)
    started_at = DateTimeField(null=True)
    finished_at = DateTimeField(null=True)


class BroadcastRecipient(BaseModel):
    broadcast = ForeignKeyField(Broadcast, backref="recipients", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    # pending → sending → sent | blocked | failed; "sending" left by a crash becomes "unknown"
    # (never sent again: nobody gets a broadcast twice)
    state = CharField(default="pending")
    error = TextField(null=True)
    sent_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("broadcast", "user"), True), (("broadcast", "state"), False))


class AlertSent(BaseModel):
    kind = CharField(primary_key=True)  # engine/alerts.py: account | failures | topup | restart
    sent_at = DateTimeField()


class WebhookDelivery(BaseModel):
    """A Higgsfield webhook received (engine/webhooks.py): written before answering 2xx, unique
    on webhook-id, so a redelivery is recognised and acted on once."""

    webhook_id = CharField(primary_key=True)
    request_id = CharField(null=True, index=True)
    status = CharField(null=True)
    received_at = DateTimeField(default=utcnow)


class Draft(BaseModel):
    """What a user is setting up in the bot (a wizard, a typed prompt's confirm card): every
    button of it names this id, and any process with the database can continue it."""

    id = CharField(primary_key=True)  # random: a button from before a restart names no newer draft
    user = ForeignKeyField(User, backref="drafts", on_delete="CASCADE")
    step = CharField(default="model")  # model | prompt | refs | aspect | confirm | confirmed
    model = CharField(null=True)
    prompt = TextField(null=True)
    aspect = CharField(null=True)
    references = JSONField(default=list)  # stored paths relative to the file store root
    style = CharField(null=True)
    options = JSONField(default=dict)  # the model's per-request options chosen so far
    count = IntegerField(default=1)
    card = BigIntegerField(null=True)  # the message showing its price and its Generate button
    current = BooleanField(default=False)  # the draft the user's text and photos go to
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)


# --- the audit trail (engine/audit.py) ---------------------------------------------------
class AuditEntry(BaseModel):
    """One admin action: who, when, what, the values before and after, and why."""

    actor = CharField()  # "admin:<id> (@name)" from the bot, "cli:<os user>[ as NAME]", "tui:..."
    action = CharField(index=True)  # grant | topup_approve | topup_reject | block | unblock | refund | ...
    user_id = BigIntegerField(null=True, index=True)  # the user it concerns, if any
    target = CharField(null=True, index=True)  # what it acted on: "generation:12", "topup:3", "promo:CODE", ...
    before = JSONField(null=True)
    after = JSONField(null=True)
    reason = TextField(null=True)
    created_at = DateTimeField(default=utcnow, index=True)


ALL_MODELS = (User, Generation, LedgerEntry, TopUpRequest, PromoCode, PromoRedemption, Heartbeat, Broadcast,
              BroadcastRecipient, AlertSent, WebhookDelivery, Draft, AuditEntry, Payment)
