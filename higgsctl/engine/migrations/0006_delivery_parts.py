"""Remember how much of a result already reached the user: a restart in the middle of a
delivery (the photo sent, the file not yet) sends only what is missing."""
from higgsctl.engine.migrations import add_not_null_column


def up(migrator, db):
    add_not_null_column(db, "generation", "delivered_parts", "INTEGER", "0")
