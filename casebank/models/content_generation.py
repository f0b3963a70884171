"""A token that changes whenever the site's content changes: the key of the pages kept
rendered for anonymous visitors (casebank/page_cache.py).

Every transaction that writes to a content table sets a new random token as its last
statement before COMMIT. Random, not a counter: a counter rolled back (or restored from a
backup) would hand out a value again that already names other content. Set last, so a
transaction holds the row's lock only while it commits and never waits for another lock
while holding it.

"Content" is every table except QUIET_TABLES: the writes that no anonymous page shows
(audit events, sessions, login throttles, the change feed, tokens, members' saved searches,
access requests, accounts). tests/test_page_cache.py checks that no cached page reads them.
"""

import secrets

from sqlalchemy import BigInteger, TextClause, event, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from casebank.extensions import db

QUIET_TABLES = frozenset({
    "access_requests", "api_tokens", "audit_events", "index_outbox", "index_positions",
    "login_throttles", "saved_searches", "session_store", "user_sessions", "users",
    "roles_users",
})  # fmt: skip
CHANGED = "casebank.content_changed"


class ContentGeneration(db.Model):
    __tablename__ = "content_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


def current_token(session):
    return session.scalar(db.select(ContentGeneration.token).where(ContentGeneration.id == 1))


def new_token(connection):
    """Mark the content changed (also for writes with Core statements, like a restore)."""
    table = ContentGeneration.__table__
    connection.execute(update(table).where(table.c.id == 1).values(token=fresh()))


def fresh():
    return secrets.randbits(62)


def touches_content(objects):
    return any(getattr(o, "__tablename__", None) not in QUIET_TABLES for o in objects)


@event.listens_for(Session, "before_flush")
def note_content_changes(session, flush_context, instances):
    if (
        touches_content(session.new)
        or touches_content(session.deleted)
        or any(session.is_modified(o) for o in session.dirty if touches_content([o]))
    ):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def note_bulk_content_changes(orm_execute_state):
    """Statements run by session.execute() skip the flush: ORM bulk statements, Core ones on a
    table (an association table has no mapper) and raw SQL, which counts unless it reads."""
    state = orm_execute_state
    if state.is_insert or state.is_update or state.is_delete:
        # A Core statement on a Table has no mapper: its own table names what it writes.
        if getattr(state.statement.table, "name", None) not in QUIET_TABLES:
            state.session.info[CHANGED] = True
    elif isinstance(state.statement, TextClause) and not reads_only(state.statement):
        state.session.info[CHANGED] = True


def reads_only(statement):
    return str(statement).lstrip().upper().startswith("SELECT")


@event.listens_for(Session, "before_commit")
def renew_token_if_content_changed(session):
    session.flush()  # the last changes, so note_content_changes sees them
    if session.info.pop(CHANGED, False):
        new_token(session.connection())


@event.listens_for(Session, "after_rollback")
def forget_changes(session):
    session.info.pop(CHANGED, None)
