"""Higgsfield webhooks received, keyed on webhook-id (redeliveries are recognised)."""
import datetime

from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class WebhookDelivery(Model):
        webhook_id = CharField(primary_key=True)
        request_id = CharField(null=True, index=True)
        status = CharField(null=True)
        received_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            database = db
            table_name = "webhook_delivery"

    db.create_tables([WebhookDelivery])
