"""Personal access tokens for the JSON API: a name, scopes, an expiry; the secret itself is
never stored, only its keyed hash (casebank/auth/tokens.py)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.case_study import utc_now
from casebank.models.user import User


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship()
    name: Mapped[str] = mapped_column(String(100))
    # HMAC-SHA256 of the secret under a key derived from SECRET_KEY, hex: looked up by equality.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, safe to show so its owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def __repr__(self):
        return f"<ApiToken {self.id} of user {self.user_id}>"
