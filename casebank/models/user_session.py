"""Server-side sessions: what Flask-Session stores under a session id, and the registry of each
user's live sessions that every authenticated request checks.

A cookie carries only a random session id. Its data lives in session_store (or in Redis), and
a logged-in session is valid only while its row in user_sessions exists and has not timed out,
so deleting that row ends the session at once on every worker.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from casebank.extensions import db
from casebank.models.case_study import utc_now


class StoredSession(db.Model):
    """One session's data, serialised by Flask-Session (the database backend's storage)."""

    __tablename__ = "session_store"

    store_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class UserSession(db.Model):
    """A logged-in session of a user, as the user sees it on their account page.

    handle is a random name for the session, safe to show and to put in a URL: it is not the
    session id, which only the cookie and the session store know.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    handle: Mapped[str] = mapped_column(String(43), unique=True)
    device: Mapped[str] = mapped_column(String(64), default="")
    ip_address: Mapped[str | None] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)

    def __repr__(self):
        return f"<UserSession {self.id} of user {self.user_id}>"
