"""Several processes on one database: a job's lease (who drives it, until when) and whether
its request holds one of the account's slots (counted across processes)."""
from peewee import CharField, DateTimeField

from higgsctl.engine.migrations import add_not_null_column


def up(migrator, db):
    add_not_null_column(db, "generation", "slot_held", "BOOLEAN", "FALSE")
    migrator.migrate(
        migrator.add_column("generation", "lease_owner", CharField(null=True)),
        migrator.add_column("generation", "lease_until", DateTimeField(null=True)),
    )
    db.execute_sql("CREATE INDEX generation_slot_held ON generation (slot_held) WHERE slot_held")
    db.execute_sql("CREATE INDEX generation_lease_until ON generation (lease_until)")
