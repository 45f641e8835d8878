"""When each kind of admin alert was last said (engine/alerts.py rate-limits on it)."""
from peewee import CharField, DateTimeField, Model


def up(migrator, db):
    class AlertSent(Model):
        kind = CharField(primary_key=True)
        sent_at = DateTimeField()

        class Meta:
            database = db
            table_name = "alert_sent"

    db.create_tables([AlertSent])
