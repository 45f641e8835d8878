"""`higgsctl db`: apply migrations; show their status, row counts and the books check."""

from __future__ import annotations

from typing import Annotated

import typer

from . import exit_codes, render
from .context import group, load_settings

app = group("Database migrations and health.")


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
