"""A search a member saved (words and facets) and how often they want to hear of new matches.

The words are encrypted at rest: an officer may type restricted details (a container number)."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.case_study import utc_now
from casebank.models.encrypted import EncryptedJSON, EncryptedText
from casebank.models.user import User


class SavedSearch(db.Model):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship()
    name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(EncryptedText("saved_search_text"))
    facets: Mapped[dict] = mapped_column(EncryptedJSON("saved_search_facets"))
    # "none", "daily" or "weekly" (services/saved_searches.FREQUENCIES)
    frequency: Mapped[str] = mapped_column(String(10), default="none")
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    # Case studies published after this are new to the alerts (moved on at each alert run).
    alerted_until: Mapped[datetime] = mapped_column(default=utc_now)
    last_sent_at: Mapped[datetime | None]

    def __repr__(self):
        return f"<SavedSearch {self.id} of user {self.user_id}>"
