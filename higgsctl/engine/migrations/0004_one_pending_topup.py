"""At most one pending top-up request per user, enforced by the database: a check-then-insert
is not enough under PostgreSQL's READ COMMITTED when two requests race."""


def up(migrator, db):
    db.execute_sql(
        "CREATE UNIQUE INDEX top_up_request_one_pending ON top_up_request (user_id) WHERE status = 'pending'"
    )
