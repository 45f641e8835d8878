"""Telegram Stars payments: one row per telegram_payment_charge_id (unique: a payment is
credited once), and ledger entries linked to the payment they came from (purchase, refund).
A frozen copy of the model as it was when this migration was written."""
import datetime

from peewee import BigIntegerField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    now = datetime.datetime.utcnow

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = BigIntegerField(primary_key=True)

    class Payment(Base):
        charge_id = CharField(unique=True)
        provider_charge_id = CharField(null=True)
        user = ForeignKeyField(User, on_delete="RESTRICT")
        pack = CharField()
        stars = IntegerField()
        credits = BigIntegerField()
        payload = TextField()
        status = CharField(default="credited", index=True)
        taken_back = BigIntegerField(default=0)
        shortfall = BigIntegerField(default=0)
        refund_origin = CharField(null=True)
        refund_reason = TextField(null=True)
        refunded_by = CharField(null=True)
        support_status = CharField(null=True)
        created_at = DateTimeField(default=now, index=True)
        refunded_at = DateTimeField(null=True)
        receipt_at = DateTimeField(null=True)
        refund_notified_at = DateTimeField(null=True)

    db.create_tables([Payment])
    migrator.migrate(
        migrator.add_column("ledger_entry", "payment_id",
                            ForeignKeyField(Payment, null=True, field=Payment.id, on_delete="RESTRICT")),
    )
