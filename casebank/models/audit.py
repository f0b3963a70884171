"""The audit log: one row per security-relevant event, hash-chained and append-only.

The chain and the hashing live in casebank.services.audit; this module holds the table and
refuses, inside the ORM, any attempt to change or remove a row once written.
"""

from datetime import datetime

from sqlalchemy import JSON, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from casebank.extensions import db

HASH_LENGTH = 64  # hex SHA-256


class AuditLogIsAppendOnly(RuntimeError):
    """Something tried to update or delete an audit event."""


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)  # set by record(), inside the hash
    # No foreign key: accounts may be deleted, their trail may not; the label keeps who it was.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Unique prev_hash: two events can never chain onto the same predecessor (no forks), even
    # if a writer bypassed the lock in services.audit.record().
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.action!r} by {self.actor_label!r}>"


@event.listens_for(Session, "before_flush")
def refuse_changes_to_audit_events(session, flush_context, instances):
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnly(f"audit event {obj.id} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise AuditLogIsAppendOnly(f"audit event {obj.id} cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def refuse_bulk_changes_to_audit_events(orm_execute_state):
    """ORM bulk statements (session.execute(update(AuditEvent))) skip the flush; catch them."""
    changes = orm_execute_state.is_update or orm_execute_state.is_delete
    if changes and any(m.class_ is AuditEvent for m in orm_execute_state.all_mappers):
        raise AuditLogIsAppendOnly("audit events cannot be updated or deleted")
