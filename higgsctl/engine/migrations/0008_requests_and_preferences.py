"""What a request can ask for beyond prompt, model and aspect (a style, the model's options,
several images as one batch), and each user's preferences (/settings)."""
from peewee import CharField, TextField

from higgsctl.engine.migrations import add_not_null_column


def up(migrator, db):
    add_not_null_column(db, "user", "confirm_repeats", "BOOLEAN", "TRUE")
    migrator.migrate(
        migrator.add_column("generation", "style", CharField(null=True)),
        migrator.add_column("generation", "options", TextField(null=True)),
        migrator.add_column("generation", "batch", CharField(null=True)),
        migrator.add_index("generation", ("batch",), False),
        migrator.add_column("user", "default_model", CharField(null=True)),
        migrator.add_column("user", "default_aspect", CharField(null=True)),
        migrator.add_column("user", "timezone", CharField(null=True)),
    )
