"""The audit log's rules: append a hash-chained event, verify the chain, filter and export it.

Each event's hash covers its content and the previous event's hash, so changing, deleting or
reordering a stored event breaks the chain at that point and verify_chain() names it. A chain
cut at its end, or rewritten whole, still verifies: compare the head hash that `flask casebank
audit verify` prints with one kept elsewhere to catch that.
"""

import csv
import hashlib
import json
import logging
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select, text

from casebank.csv_cells import csv_row
from casebank.extensions import db
from casebank.models import AuditEvent
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
ANONYMOUS = "anonymous"
SYSTEM = "system"  # the actor of command-line and scheduled jobs
# Any fixed 64-bit number; every writer of the audit log takes this PostgreSQL advisory lock.
CHAIN_LOCK_KEY = 0x6361_7365_6175_6474  # "caseaudt"
SECRET_KEY_PARTS = ("password", "passwd", "token", "secret", "code", "totp", "recovery")
REMOVED = "[removed]"
CSV_FIELDS = (
    "id",
    "occurred_at",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "ip_address",
    "details",
    "hash",
)


def record(action, actor=None, target=None, details=None, ip=None):
    """Append one event to the chain and flush it; the caller's request or command commits.

    actor: an object with .id and .email, None (anonymous) or a label such as SYSTEM.
    target: a model instance, a (type, id) tuple, or None.
    details: a JSON-able dict; the values of secret-looking keys are removed.
    """
    lock_chain()  # first, so that id and occurred_at follow the chain's order
    actor_id, actor_label = actor_fields(actor)
    target_type, target_id = target_fields(target)
    event = AuditEvent(
        occurred_at=utc_now(),
        actor_id=actor_id,
        actor_label=clip(actor_label, 254),
        action=action,
        target_type=clip(target_type, 64),
        target_id=clip(target_id, 64),
        ip_address=clip(ip, 45),
        details=as_stored(scrub(details or {})),
        prev_hash=last_hash(),
    )
    event.hash = event_hash(event)
    db.session.add(event)
    db.session.flush()
    # %r: user input (labels, ids, addresses) cannot break the line or fake another one.
    log.info(
        "audit event %s: %r by %r on %r %r from %r",
        event.id,
        event.action,
        event.actor_label,
        event.target_type,
        event.target_id,
        event.ip_address,
    )
    return event


def lock_chain():
    """Serialise writers so two events never chain onto the same predecessor.

    PostgreSQL: a transaction-level advisory lock, released at commit or rollback, taken before
    the last hash is read. SQLite needs none: it has one writer at a time and serialisable
    transactions, so a writer that read a hash another has since chained onto fails ("database
    is locked") instead of forking the chain. The unique prev_hash backs both up.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})


def last_hash():
    latest = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    return db.session.scalar(latest) or GENESIS_HASH


def actor_fields(actor):
    if actor is None:
        return None, ANONYMOUS
    if isinstance(actor, str):
        return None, actor
    return actor.id, actor.email


def target_fields(target):
    if target is None:
        return None, None
    if isinstance(target, tuple):
        target_type, target_id = target
    else:
        target_type, target_id = target.__tablename__, target.id
    return str(target_type), None if target_id is None else str(target_id)


def clip(value, length):
    return None if value is None else str(value)[:length]


def scrub(value):
    """A copy of value with the value of every secret-looking key replaced, at any depth."""
    if isinstance(value, dict):
        return {key: REMOVED if is_secret_key(key) else scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def is_secret_key(key):
    key = str(key).lower()
    return any(part in key for part in SECRET_KEY_PARTS)


def as_stored(details):
    """details exactly as they will read back from the JSON column, so the hash still matches
    (tuples become lists, keys strings, dates ISO strings)."""
    return json.loads(json.dumps(details, default=str))


def event_hash(event):
    content = {
        "prev_hash": event.prev_hash,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "ip_address": event.ip_address,
        "details": event.details,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    """What verify_chain() found: how many events it read, and the first broken one."""

    count: int
    broken_id: int | None = None
    reason: str | None = None
    head_hash: str = GENESIS_HASH

    @property
    def intact(self):
        return self.broken_id is None


def verify_chain():
    # Plain rows, not ORM objects: objects already in the session would show what was written,
    # not what the database holds now.
    query = select(AuditEvent.__table__).order_by(AuditEvent.id)
    # Closed on return: on PostgreSQL yield_per streams through a server-side cursor.
    with closing(db.session.execute(query.execution_options(yield_per=500))) as rows:
        return check_rows(rows)


def check_rows(rows):
    expected_prev = GENESIS_HASH
    count = 0
    for event in rows:
        count += 1
        if event.prev_hash != expected_prev:
            return ChainCheck(
                count,
                event.id,
                "prev_hash does not match the previous event's hash "
                "(an event before it was deleted, inserted or reordered)",
            )
        if event_hash(event) != event.hash:
            return ChainCheck(count, event.id, "hash does not match its content (changed)")
        expected_prev = event.hash
    return ChainCheck(count, head_hash=expected_prev)


def filter_events(action=None, actor=None, since=None, until=None, target_type=None):
    """A select() of audit events, oldest first, for browsing and export.

    action: one name or a list of names. actor: a user (anything with .id), an id, or a label
    such as an e-mail. since/until: a date or datetime (UTC); a date for until includes its day.
    """
    query = select(AuditEvent).order_by(AuditEvent.id)
    if action:
        actions = [action] if isinstance(action, str) else list(action)
        query = query.where(AuditEvent.action.in_(actions))
    if actor is not None:
        query = query.where(actor_condition(actor))
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= start_of(since))
    if until is not None:
        if isinstance(until, datetime):
            query = query.where(AuditEvent.occurred_at <= until)
        else:
            query = query.where(AuditEvent.occurred_at < start_of(until + timedelta(days=1)))
    if target_type is not None:
        query = query.where(AuditEvent.target_type == target_type)
    return query


def actor_condition(actor):
    if isinstance(actor, str):
        return AuditEvent.actor_label == actor
    return AuditEvent.actor_id == (actor if isinstance(actor, int) else actor.id)


def start_of(day_or_time):
    if isinstance(day_or_time, datetime):
        return day_or_time
    return datetime.combine(day_or_time, time.min)


def events_csv(query, stream):
    """Write the events query selects to stream as CSV; returns how many rows it wrote."""
    writer = csv.writer(stream)
    writer.writerow(CSV_FIELDS)
    count = 0
    with closing(db.session.scalars(query.execution_options(yield_per=500))) as events:
        for event in events:
            writer.writerow(csv_row(csv_values(event)))
            count += 1
    return count


def csv_values(event):
    return (
        event.id,
        event.occurred_at.isoformat(),
        event.actor_label,
        event.action,
        event.target_type,
        event.target_id,
        event.ip_address,
        json.dumps(event.details, sort_keys=True, ensure_ascii=False),
        event.hash,
    )
