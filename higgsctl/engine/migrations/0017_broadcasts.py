"""Broadcasts to users, one row per recipient (so a restart never sends anyone one twice), and
who blocked the bot (a frozen copy of the models as written here)."""
import datetime

from peewee import BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField, Model, TextField


def up(migrator, db):
    now = datetime.datetime.utcnow
    migrator.migrate(migrator.add_column("user", "blocked_bot_at", DateTimeField(null=True)))

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = BigIntegerField(primary_key=True)

    class Broadcast(Base):
        text = TextField()
        photo = CharField(null=True)
        audience = CharField()
        status = CharField(default="queued", index=True)
        paid = BooleanField(default=False)
        photo_file_id = CharField(null=True)
        created_by = CharField()
        created_at = DateTimeField(default=now)
        started_at = DateTimeField(null=True)
        finished_at = DateTimeField(null=True)

    class BroadcastRecipient(Base):
        broadcast = ForeignKeyField(Broadcast, on_delete="CASCADE")
        user = ForeignKeyField(User, on_delete="CASCADE")
        state = CharField(default="pending")
        error = TextField(null=True)
        sent_at = DateTimeField(null=True)

        class Meta:
            indexes = ((("broadcast", "user"), True), (("broadcast", "state"), False))

    db.create_tables([Broadcast, BroadcastRecipient])
