"""The search index outbox: which case studies and documents changed, written in the changing
transaction.

The database is the source of truth and the search index a cache of it. A row here says "this
case study (or document) changed; the index has not caught up yet". Rows are deleted once the
indexes hold its state as read after the change, so an index write that fails loses nothing.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint
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

    def __repr__(self):
        if self.document_id is not None:
            return f"<IndexOutbox {self.id} document {self.document_id}>"
        return f"<IndexOutbox {self.id} case {self.case_study_id}>"
