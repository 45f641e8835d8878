"""Indexes for the admin dashboard and history: per-user lists and status scans."""


def up(migrator, db):
    migrator.migrate(
        migrator.add_index("generation", ("user_id", "created_at")),
        migrator.add_index("ledger_entry", ("user_id", "created_at")),
        migrator.add_index("top_up_request", ("user_id", "status")),
    )
