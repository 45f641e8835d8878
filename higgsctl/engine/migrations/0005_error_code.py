"""Why a generation ended, as a code faces can translate (the error text stays English)."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("generation", "error_code", CharField(null=True)))
