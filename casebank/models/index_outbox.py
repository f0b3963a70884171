"""The search index outbox: which case studies changed, written in the changing transaction.

The database is the source of truth and the search index a cache of it. A row here says "this
case study changed; the index has not caught up yet". Rows are deleted once both indexes hold
the case's state as read after the change, so an index write that fails loses nothing.
"""

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from casebank.extensions import db
from casebank.models.case_study import utc_now


class IndexOutbox(db.Model):
    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the row must outlive a deleted case study, to remove it from the index.
    case_study_id: Mapped[int] = mapped_column(index=True)
    queued_at: Mapped[datetime] = mapped_column(default=utc_now)

    def __repr__(self):
        return f"<IndexOutbox {self.id} case {self.case_study_id}>"
