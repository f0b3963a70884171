"""Reference data: the conventions and the HS nomenclature entries case studies point to."""

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db

hs_code_conventions = Table(
    "hs_code_conventions",
    db.metadata,
    Column("hs_code_id", ForeignKey("hs_codes.id", ondelete="CASCADE"), primary_key=True),
    Column("convention_id", ForeignKey("conventions.id", ondelete="CASCADE"), primary_key=True),
)


class Convention(db.Model):
    __tablename__ = "conventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    short_name: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    adopted_year: Mapped[int]
    in_force_year: Mapped[int]
    sort_order: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<Convention {self.code}>"


class HSCode(db.Model):
    """A heading (`2903`) or subheading (`2903.71`) of the Harmonized System, normalised."""

    __tablename__ = "hs_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(7), unique=True)
    description: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text, default="")
    conventions: Mapped[list[Convention]] = relationship(
        secondary=hs_code_conventions, order_by=Convention.sort_order
    )

    @property
    def is_heading(self):
        return "." not in self.code

    def __repr__(self):
        return f"<HSCode {self.code}>"
