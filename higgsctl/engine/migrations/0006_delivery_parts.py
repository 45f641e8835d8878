"""Remember how much of a result already reached the user: a restart in the middle of a
delivery (the photo sent, the file not yet) sends only what is missing."""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("generation", "delivered_parts", IntegerField(default=0)))
