"""The change feed every host's search index follows (index_outbox + index_positions).

Rows are written by the changing transaction without a position. `stamp` gives the committed
ones positions in the order they are stamped, one stamper at a time (an advisory lock on
PostgreSQL, the write lock on SQLite), so a position is never seen before a smaller one: a
host that applied up to N never meets a row at N or below later. Ids cannot serve: on
PostgreSQL a transaction that took id 7 may commit after one that took id 8.

Each host (one index directory: CASEBANK_HOST_ID, by default this machine's name and the index
path) records the last position its index applied. Rows go once every host seen within
FEED_HOST_TIMEOUT has passed them; a host that finds rows it needed pruned rebuilds its index.
"""

import logging
import socket
import time

from flask import current_app
from sqlalchemy import func, select, text, update

from casebank.models import IndexOutbox, IndexPosition
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)
STAMP_LOCK = 720_513_001  # PostgreSQL advisory lock key: one stamper at a time
PRUNED = "~pruned"  # the index_positions row that records how far the feed was pruned


class FellBehind(Exception):
    """The feed no longer holds every row this host needs: its index must be rebuilt."""


def host_id(app=None):
    app = app or current_app
    name = app.config.get("HOST_ID") or f"{socket.gethostname()}:{app.config['INDEX_DIR']}"
    return name[:240]


def rebuilding(host):
    """The feed position a rebuild of host's index holds while it runs (so prune keeps the rows
    its catch-up will read)."""
    return f"{host}#rebuild"[:255]


def stamp(session):
    """Give every committed row without a position the next positions; the caller commits."""
    if not session.scalar(select(IndexOutbox.id).where(IndexOutbox.position.is_(None)).limit(1)):
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STAMP_LOCK})
    last = head(session)
    ids = session.scalars(
        select(IndexOutbox.id).where(IndexOutbox.position.is_(None)).order_by(IndexOutbox.id)
    ).all()
    session.execute(
        update(IndexOutbox),
        [{"id": row_id, "position": last + n} for n, row_id in enumerate(ids, start=1)],
    )


def head(session):
    """The last stamped position (0 for a new feed). Pruned rows count: positions never
    start again below what hosts have applied."""
    kept = session.scalar(select(func.coalesce(func.max(IndexOutbox.position), 0)))
    return max(kept, pruned_through(session))


def position_of(session, host):
    row = session.get(IndexPosition, host)
    return row.position if row else 0


def pruned_through(session):
    return position_of(session, PRUNED)


def fell_behind(session, host):
    """Whether rows this host has not applied were pruned (its index must be rebuilt)."""
    return position_of(session, host) < pruned_through(session)


def set_position(session, host, position):
    row = session.get(IndexPosition, host) or IndexPosition(host=host)
    row.position, row.applied_at = position, utc_now()
    session.add(row)


def mark(session, host):
    """(position, applied_at) of host as it is now, or None: what advance() compares with."""
    row = session.get(IndexPosition, host)
    return (row.position, row.applied_at) if row else None


def advance(session, host, seen, position):
    """Move host to position unless it changed since mark() gave seen: a rebuild that swapped in
    a new generation and set it back where that generation starts (to the same number, maybe),
    or another worker. Their position then stands; returns whether host moved."""
    if seen is None:
        if session.get(IndexPosition, host) is not None:
            return False
        set_position(session, host, position)
        return True
    moved = session.execute(
        update(IndexPosition)
        .where(
            IndexPosition.host == host,
            IndexPosition.position == seen[0],
            IndexPosition.applied_at == seen[1],
        )
        .values(position=position, applied_at=utc_now())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(moved)


def rows_after(session, position, limit):
    """The next rows to apply after position; FellBehind when some were pruned unseen."""
    if position < pruned_through(session):
        raise FellBehind(f"the feed was pruned past position {position}")
    query = (
        select(IndexOutbox.position, IndexOutbox.case_study_id, IndexOutbox.document_id)
        .where(IndexOutbox.position > position)
        .order_by(IndexOutbox.position)
        .limit(limit)
    )
    return session.execute(query).all()


def backlog(session, host):
    """Rows this host has not applied yet (stamped after its position, or not stamped)."""
    return pending(session, host)[0]


def pending(session, host):
    """(how many rows this host has not applied yet, when the oldest of them was queued)."""
    position = position_of(session, host)
    later = (IndexOutbox.position > position) | IndexOutbox.position.is_(None)
    query = select(func.count(IndexOutbox.id), func.min(IndexOutbox.queued_at)).where(later)
    return tuple(session.execute(query).one())


def prune(session, timeout):
    """Delete the rows every host seen within `timeout` has applied; returns how many."""
    hosts = select(IndexPosition.position).where(
        IndexPosition.host != PRUNED, IndexPosition.applied_at >= utc_now() - timeout
    )
    lowest = session.scalar(select(func.min(hosts.subquery().c.position)))
    if not lowest or lowest <= pruned_through(session):
        return 0
    gone = session.execute(
        IndexOutbox.__table__.delete().where(IndexOutbox.position <= lowest)
    ).rowcount
    set_position(session, PRUNED, lowest)
    log.info("change feed pruned through position %s (%s rows)", lowest, gone)
    return gone


class Poll:
    """Whether this process should look at the feed now (at most every `interval` seconds)."""

    def __init__(self, interval):
        self.interval, self.last = interval, 0.0

    def due(self):
        now = time.monotonic()
        if now - self.last < self.interval:
            return False
        self.last = now
        return True
