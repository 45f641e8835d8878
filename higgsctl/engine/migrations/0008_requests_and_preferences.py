"""What a request can ask for beyond prompt, model and aspect (a style, the model's options,
several images as one batch), and each user's preferences (/settings)."""
from peewee import BooleanField, CharField, TextField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("generation", "style", CharField(null=True)),
        migrator.add_column("generation", "options", TextField(null=True)),
        migrator.add_column("generation", "batch", CharField(null=True)),
        migrator.add_index("generation", ("batch",), False),
        migrator.add_column("user", "default_model", CharField(null=True)),
        migrator.add_column("user", "default_aspect", CharField(null=True)),
        migrator.add_column("user", "timezone", CharField(null=True)),
        migrator.add_column("user", "confirm_repeats", BooleanField(default=True)),
    )
