"""Bot drafts in the database: what a user is setting up survives a restart, and any
process with the database can continue it (or confirm it, once)."""
import datetime

from peewee import BigIntegerField, BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    now = datetime.datetime.utcnow

    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class User(Base):
        id = BigIntegerField(primary_key=True)

    class Draft(Base):
        id = CharField(primary_key=True)
        user = ForeignKeyField(User, on_delete="CASCADE")
        step = CharField(default="model")
        model = CharField(null=True)
        prompt = TextField(null=True)
        aspect = CharField(null=True)
        references = TextField(default="[]")
        style = CharField(null=True)
        options = TextField(default="{}")
        count = IntegerField(default=1)
        card = BigIntegerField(null=True)
        current = BooleanField(default=False)
        created_at = DateTimeField(default=now, index=True)
        updated_at = DateTimeField(default=now)

    db.create_tables([Draft])
    migrator.migrate(migrator.add_index("draft", ("user_id", "current"), False))
