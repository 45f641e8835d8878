"""Remember where a job's reference photos were uploaded, so a resumed submit sends the
same body under its Idempotency-Key."""
from peewee import TextField


def up(migrator, db):
    migrator.migrate(migrator.add_column("generation", "reference_urls", TextField(null=True)))
