"""`higgsctl db`: apply migrations; show their status, row counts and the books check; back it up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import exit_codes, render
from .context import group, load_settings

app = group("Database migrations, health and backups.")


@app.command()
def migrate() -> None:
    """Apply pending schema migrations (every command also does this on start).

    \b
    Example:
      higgsctl db migrate
    """
    from higgsctl.engine.db import migrate_exclusively, open_database

    settings = load_settings()
    db = open_database(settings.database_url, migrate=False)
    try:
        applied = migrate_exclusively(db)
    finally:
        db.close()
    for name in applied:
        render.line(name)
    render.note(f"Applied {len(applied)} migration(s)." if applied else "The database is up to date.")


@app.command()
def status(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Show applied migrations, the database URL (password masked), row counts and whether
    every balance equals the sum of its ledger. Exits 1 when the books don't balance.

    \b
    Example:
      higgsctl db status
    """
    from higgsctl.engine import Engine
    from higgsctl.engine.db import migration_runner
    from higgsctl.engine.models import ALL_MODELS
    from higgsctl.engine.reconcile import book_discrepancies

    settings = load_settings()
    engine = Engine(settings)
    try:
        migrations = [{"name": m.name, "applied": m.applied} for m in migration_runner(engine.db).status()]
        rows = {model._meta.table_name: model.select().count() for model in ALL_MODELS}
        wrong = [{"user_id": uid, "balance": balance, "ledger": total} for uid, balance, total in engine.credits.discrepancies()]
        payments = book_discrepancies()
    finally:
        engine.close()
    data = {"database_url": engine.redactor(settings.database_url), "migrations": migrations, "rows": rows,
            "books_balanced": not wrong and not payments, "discrepancies": wrong, "payment_discrepancies": payments}
    if json_out:
        render.print_json(data)
    else:
        _print_status(data)
    if wrong:
        render.error(f"The books don't balance for {len(wrong)} user(s).",
                     "Each balance must equal the sum of that user's ledger entries; check recent manual edits.")
        raise typer.Exit(exit_codes.GENERIC)
    if payments:
        render.error(f"{len(payments)} payment(s) don't match the ledger.",
                     "Credits bought must equal the purchase entries and refunds the refund entries.")
        raise typer.Exit(exit_codes.GENERIC)


@app.command()
def backup(
    path: Annotated[Path, typer.Argument(help="The backup's file, e.g. higgsctl-2026-12-05.db.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Copy the SQLite database to PATH while the bot keeps running: one consistent moment,
    checked before it is put in place. `higgsctl db restore PATH` puts it back.

    \b
    Example:
      higgsctl db backup ~/backups/higgsctl-$(date +%F).db
    """
    from higgsctl.engine.backup import backup_sqlite
    from higgsctl.engine.db import is_sqlite, open_database

    settings = load_settings()
    if not settings.database_url.startswith("sqlite:"):
        render.error("`db backup` copies the embedded SQLite database; this one is PostgreSQL.",
                     "Use pg_dump, which takes a consistent snapshot while the bot runs: pg_dump -Fc DBNAME > FILE")
        raise typer.Exit(exit_codes.USAGE)
    db = open_database(settings.database_url)
    try:
        assert is_sqlite(db)
        made = backup_sqlite(db, path, overwrite=force)
    finally:
        db.close()
    if json_out:
        render.print_json({"path": str(made.path), "bytes": made.size, "rows": made.rows,
                           "books_balanced": made.unbalanced_users == 0})
    else:
        render.line(f"Backed up to {made.path} ({made.size / 1e6:.1f} MB): "
                    + ", ".join(f"{name} {count}" for name, count in made.rows.items()) + "; integrity ok")
    if made.unbalanced_users:
        render.error(f"The backup is whole, but the books don't balance for {made.unbalanced_users} user(s), "
                     "as in the live database.", "`higgsctl db status` names them.")
        raise typer.Exit(exit_codes.GENERIC)


@app.command()
def restore(
    path: Annotated[Path, typer.Argument(help="A file `db backup` wrote.")],
    force: Annotated[bool, typer.Option("--force", help="Restore even though a process seems to use the database.")] = False,
) -> None:
    """Put a backup in place of the SQLite database (stop the bot and workers first). The
    database it replaces is kept beside it; the next start migrates an older backup.

    \b
    Example:
      higgsctl db restore ~/backups/higgsctl-2026-12-05.db
    """
    from higgsctl.engine.backup import restore_sqlite
    from higgsctl.engine.db import sqlite_path

    settings = load_settings()
    live = sqlite_path(settings.database_url) if settings.database_url.startswith("sqlite:") else None
    if live is None:
        render.error("`db restore` replaces the embedded SQLite database file; this database is not one.",
                     "For PostgreSQL use pg_restore.")
        raise typer.Exit(exit_codes.USAGE)
    kept = restore_sqlite(live, path, ignore_live_processes=force)
    render.line(f"Restored {path} as {live}.")
    if kept.exists():
        render.note(f"The database it replaced is kept as {kept}.")


def _print_status(data: dict) -> None:
    render.line(f"Database: {data['database_url']}")
    render.line("Migrations:")
    for m in data["migrations"]:
        render.line(f"  {m['name']:<24} {'applied ' + render.when(m['applied']).removesuffix(' UTC') if m['applied'] else 'PENDING'}")
    render.line("Rows: " + ", ".join(f"{name} {count}" for name, count in data["rows"].items()))
    if data["books_balanced"]:
        render.line("Books: balanced (every balance equals its ledger; payments match their ledger entries)")
        return
    render.line("Books: NOT balanced")
    for d in data["discrepancies"]:
        render.line(f"  user {d['user_id']}: balance {d['balance']}, ledger sum {d['ledger']}")
    for problem in data["payment_discrepancies"]:
        render.line(f"  {problem}")
