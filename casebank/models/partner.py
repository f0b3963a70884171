"""Partner organisations that submit case studies."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from casebank.extensions import db


class Partner(db.Model):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    acronym: Mapped[str] = mapped_column(String(32), unique=True)
    # A generic mailbox of the organisation; never a person's address.
    contact_email: Mapped[str] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(300))

    def __repr__(self):
        return f"<Partner {self.acronym}>"
