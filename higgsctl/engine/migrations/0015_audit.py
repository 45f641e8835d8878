"""The audit trail, and the reason a top-up was rejected (a frozen copy of the model as written here)."""
import datetime

from peewee import BigIntegerField, CharField, DateTimeField, Model, TextField

from higgsctl.engine.migrations import add_not_null_column


def up(migrator, db):
    now = datetime.datetime.utcnow

    class AuditEntry(Model):
        actor = CharField()
        action = CharField(index=True)
        user_id = BigIntegerField(null=True, index=True)
        target = CharField(null=True, index=True)
        before = TextField(null=True)
        after = TextField(null=True)
        reason = TextField(null=True)
        created_at = DateTimeField(default=now, index=True)

        class Meta:
            database = db
            legacy_table_names = False

    db.create_tables([AuditEntry])
    migrator.migrate(migrator.add_column("top_up_request", "reason", TextField(null=True)))
    add_not_null_column(db, "top_up_request", "reason_shared", "BOOLEAN", "FALSE")
