"""The search index change feed: which case studies and documents changed, written in the
changing transaction, and how far each host's index has applied it.

The database is the source of truth and every host's search index a cache of it. A row says
"this case study (or document) changed". Committed rows get a `position` in commit order
(search/feed.py stamps them); each host records the last position its index applied
(IndexPosition), so a host that was down catches up, and rows go once every known host has
passed them.
"""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from casebank.extensions import db
from casebank.models.case_study import utc_now


class IndexOutbox(db.Model):
    __tablename__ = "index_outbox"
    __table_args__ = (
        # A row is about exactly one thing, a case study or a document.
        CheckConstraint(
            "(case_study_id IS NULL) <> (document_id IS NULL)", name="one_case_or_document"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys: the row must outlive a deleted case study or document, to remove it
    # from the index.
    case_study_id: Mapped[int | None] = mapped_column(index=True)
    document_id: Mapped[int | None] = mapped_column(index=True)
    queued_at: Mapped[datetime] = mapped_column(default=utc_now)
    # The row's place in the feed, in the order the changes were committed; NULL until stamped.
    position: Mapped[int | None] = mapped_column(BigInteger, unique=True)

    def __repr__(self):
        if self.document_id is not None:
            return f"<IndexOutbox {self.id} document {self.document_id}>"
        return f"<IndexOutbox {self.id} case {self.case_study_id}>"


class IndexPosition(db.Model):
    """How far one host's index has applied the feed. A host is one index directory (its own
    machine or container); its workers share the row."""

    __tablename__ = "index_positions"

    host: Mapped[str] = mapped_column(String(255), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    applied_at: Mapped[datetime] = mapped_column(default=utc_now)

    def __repr__(self):
        return f"<IndexPosition {self.host} at {self.position}>"
