"""Numbered schema migrations, applied in order at start-up (playhouse.migrations)."""


def add_not_null_column(db, table: str, column: str, sql_type: str, default: str) -> None:
    """ALTER TABLE ... ADD COLUMN ... NOT NULL DEFAULT ..., in one statement on both backends.

    playhouse's add_column adds a NOT NULL column as nullable, fills it, then on SQLite rebuilds
    the table to make it NOT NULL: a DROP TABLE that fails with foreign keys on as soon as
    other rows reference the table (every real database). SQLite adds a NOT NULL column with
    a constant default directly."""
    db.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" {sql_type} NOT NULL DEFAULT {default}')
