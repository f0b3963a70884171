"""Public feedback on a document (tied to the version the visitor read) or on the site as a
whole (no document): a rating, a comment, who wrote it if they say so, and the moderation.

The reply address is personal data that is never shown or exported to editors: it is sealed
at rest. The rest is what a visitor asked to publish, shown once an editor approves it.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.case_study import utc_now, vocabulary
from casebank.models.document import Document, DocumentVersion
from casebank.models.encrypted import EncryptedText
from casebank.models.vocab import FeedbackStatus


class Feedback(db.Model):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    document: Mapped[Document | None] = relationship()
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[DocumentVersion | None] = relationship(foreign_keys=[version_id])
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(String(100))
    organisation: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    reply_email: Mapped[str | None] = mapped_column(EncryptedText("feedback.reply_email"))
    consent_to_publish: Mapped[bool] = mapped_column(default=False)
    status: Mapped[FeedbackStatus] = mapped_column(
        vocabulary(FeedbackStatus), default=FeedbackStatus.PENDING, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utc_now, index=True)
    moderated_at: Mapped[datetime | None]
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    # A later version that addressed this feedback (the public page then says so).
    addressed_in_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_versions.id", ondelete="SET NULL")
    )
    addressed_in: Mapped[DocumentVersion | None] = relationship(foreign_keys=[addressed_in_id])

    def __repr__(self):
        return f"<Feedback {self.id}>"
