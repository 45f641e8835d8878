"""Heartbeats of long-running processes (the bot), for the dashboard."""
from peewee import CharField, DateTimeField, IntegerField, Model


def up(migrator, db):
    class Heartbeat(Model):
        name = CharField(primary_key=True)
        host = CharField()
        pid = IntegerField()
        version = CharField()
        started_at = DateTimeField()
        beat_at = DateTimeField()
        stopped_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "heartbeat"

    db.create_tables([Heartbeat])
