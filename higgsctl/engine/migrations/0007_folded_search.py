"""Folded copies of the searched text (see engine/folding.py): user names and prompts, so a
search is case-insensitive in every script on both backends."""
from higgsctl.engine.folding import fold, user_names
from higgsctl.engine.migrations import add_not_null_column

BATCH = 400  # 800 parameters: under SQLite's oldest limit of 999


def up(migrator, db):
    add_not_null_column(db, "user", "name_folded", "TEXT", "''")
    add_not_null_column(db, "generation", "prompt_folded", "TEXT", "''")
    users = db.execute_sql('SELECT id, username, first_name, last_name FROM "user"').fetchall()
    _fill(db, "user", "name_folded", [(uid, user_names(*names)) for uid, *names in users])
    prompts = db.execute_sql("SELECT id, prompt FROM generation").fetchall()
    _fill(db, "generation", "prompt_folded", [(gid, fold(prompt)) for gid, prompt in prompts])


def _fill(db, table: str, column: str, rows: list[tuple[int, str]]) -> None:
    """UPDATE ... FROM (VALUES ...) in batches: one statement per few hundred rows on both backends."""
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        values = ", ".join(f"({db.param}, {db.param})" for _ in batch)
        db.execute_sql(
            f'UPDATE "{table}" SET {column} = v.column2 FROM (VALUES {values}) AS v WHERE "{table}".id = v.column1',
            [value for row in batch for value in row],
        )
