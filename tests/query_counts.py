"""Counting the SQL statements a request runs (SQLAlchemy's before_cursor_execute event)."""

from sqlalchemy import event


def count_queries(db, fetch):
    return len(statements_run(db, fetch))


def statements_run(db, fetch):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.session.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fetch()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements
