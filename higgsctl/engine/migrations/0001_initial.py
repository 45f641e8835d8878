"""Initial schema: users, generations, credit ledger, top-up requests.

A frozen copy of the models as they were when this migration was written, so later model
changes never alter what this file creates.
"""
import datetime

from peewee import (
    BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField,
    Model, TextField,
)


def up(migrator, db):
    now = datetime.datetime.utcnow

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = BigIntegerField(primary_key=True)
        username = CharField(null=True, index=True)
        first_name = CharField(default="")
        last_name = CharField(null=True)
        language = CharField(default="en")
        balance = BigIntegerField(default=0)
        blocked = BooleanField(default=False)
        created_at = DateTimeField(default=now)
        last_seen_at = DateTimeField(default=now)

    class Generation(Base):
        user = ForeignKeyField(User, on_delete="RESTRICT")
        model = CharField()
        prompt = TextField()
        aspect_ratio = CharField()
        references = TextField(default="[]")
        source = CharField(default="cli")
        chat_id = BigIntegerField(null=True)
        status_message_id = BigIntegerField(null=True)
        idempotency_key = CharField(unique=True)
        request_id = CharField(null=True, unique=True)
        status_url = TextField(null=True)
        cancel_url = TextField(null=True)
        status = CharField(default="pending", index=True)
        error = TextField(null=True)
        result_files = TextField(default="[]")
        cost = IntegerField()
        charge = CharField(default="held")
        created_at = DateTimeField(default=now, index=True)
        submitted_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)
        delivered_at = DateTimeField(null=True)

    class TopUpRequest(Base):
        user = ForeignKeyField(User, on_delete="RESTRICT")
        amount = BigIntegerField()
        status = CharField(default="pending", index=True)
        granted = BigIntegerField(null=True)
        decided_by = CharField(null=True)
        decided_at = DateTimeField(null=True)
        notified_at = DateTimeField(null=True)
        created_at = DateTimeField(default=now)

    class LedgerEntry(Base):
        user = ForeignKeyField(User, on_delete="RESTRICT")
        amount = BigIntegerField()
        reason = CharField()
        actor = CharField()
        note = TextField(null=True)
        generation = ForeignKeyField(Generation, null=True, on_delete="RESTRICT")
        topup = ForeignKeyField(TopUpRequest, null=True, on_delete="RESTRICT")
        created_at = DateTimeField(default=now, index=True)

    db.create_tables([User, Generation, TopUpRequest, LedgerEntry])
