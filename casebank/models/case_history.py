"""What happens to a case study over time: its saved revisions, and the conversation between
editors and the submitting organisation (with editors' internal notes beside it)."""

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.case_study import CaseStudy, utc_now
from casebank.models.encrypted import EncryptedJSON, EncryptedText


class CaseRevision(db.Model):
    """One save of a case study: its whole record as the schema dumps it, sealed at rest like
    the case itself (the record holds its restricted notes)."""

    __tablename__ = "case_revisions"
    __table_args__ = (UniqueConstraint("case_study_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(
        ForeignKey("case_studies.id", ondelete="CASCADE"), index=True
    )
    case_study: Mapped[CaseStudy] = relationship()
    # 1, 2, 3... per case study; the case's version is the number of its latest revision.
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author = relationship("User")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    change_note: Mapped[str | None] = mapped_column(EncryptedText("revision_change_note"))
    record: Mapped[dict] = mapped_column(EncryptedJSON("revision_record"))

    def __repr__(self):
        return f"<CaseRevision {self.case_study_id}#{self.number}>"


class CaseMessage(db.Model):
    """A message on a case study. internal: an editors' note the organisation never sees."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_study_id: Mapped[int] = mapped_column(
        ForeignKey("case_studies.id", ondelete="CASCADE"), index=True
    )
    case_study: Mapped[CaseStudy] = relationship()
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author = relationship("User")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    internal: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(EncryptedText("case_message_body"))

    def __repr__(self):
        return f"<CaseMessage {self.id}>"
