"""A generation remembers what started it (a bot press), so the same press is charged once
across restarts and processes: a nullable column with a unique index (NULLs never collide)."""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(migrator.add_column("generation", "origin_key", CharField(null=True)))
    db.execute_sql("CREATE UNIQUE INDEX generation_origin_key ON generation (origin_key)")
