"""The annual Green Customs Award: rounds, their criteria and judges, nominations, scores and
declared conflicts of interest.

A round's status changes only through casebank/services/awards/rounds.py (its transition
table). Scores are confidential until the round closes: casebank/auth/permissions.py decides
who reads them, and no page, export or API shows another judge's scores or a total before.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from casebank.extensions import db
from casebank.models.case_study import CaseStudy, utc_now, vocabulary
from casebank.models.partner import Partner
from casebank.models.user import User
from casebank.models.vocab import AwardCategory, RoundStatus

award_round_judges = Table(
    "award_round_judges",
    db.metadata,
    Column("round_id", ForeignKey("award_rounds.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class RoundStatusWriteRefused(Exception):
    """Something other than the round's transition table set its status."""


_round_status_writer = ContextVar("round_status_writer", default=False)


@contextmanager
def round_status_writer():
    """The one door to AwardRound.status; only services/awards/rounds.py opens it."""
    token = _round_status_writer.set(True)
    try:
        yield
    finally:
        _round_status_writer.reset(token)


class AwardRound(db.Model):
    __tablename__ = "award_rounds"
    __table_args__ = (
        CheckConstraint("max_nominations_per_partner >= 1", name="nomination_cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    rules: Mapped[str] = mapped_column(Text, default="")
    nominations_open_date: Mapped[date]
    nominations_close_date: Mapped[date]
    judging_open_date: Mapped[date]
    judging_close_date: Mapped[date]
    # Case studies published between these dates (inclusive) may be nominated.
    eligible_from_date: Mapped[date]
    eligible_to_date: Mapped[date]
    max_nominations_per_partner: Mapped[int] = mapped_column(default=3)
    status: Mapped[RoundStatus] = mapped_column(
        vocabulary(RoundStatus), default=RoundStatus.DRAFT, index=True
    )
    announcement: Mapped[str | None] = mapped_column(Text)
    announced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    criteria: Mapped[list["AwardCriterion"]] = relationship(
        back_populates="round", order_by="AwardCriterion.position", cascade="all, delete-orphan"
    )
    judges: Mapped[list[User]] = relationship(secondary=award_round_judges, order_by=User.email)
    nominations: Mapped[list["Nomination"]] = relationship(
        back_populates="round", order_by="Nomination.id", cascade="all, delete-orphan"
    )

    @validates("status")
    def only_the_round_table_writes_status(self, key, value):
        if not _round_status_writer.get():
            raise RoundStatusWriteRefused(f"round {self.id}: status changes only by transition")
        return value

    def __repr__(self):
        return f"<AwardRound {self.year} {self.status}>"


class AwardCriterion(db.Model):
    __tablename__ = "award_criteria"
    __table_args__ = (CheckConstraint("weight >= 1", name="weight_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("award_rounds.id", ondelete="CASCADE"))
    round: Mapped[AwardRound] = relationship(back_populates="criteria")
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[int] = mapped_column(default=1)


class Nomination(db.Model):
    """A published case study put forward for a round, with its citation. Named officers are
    shown publicly only with their consent, recorded by whoever nominated."""

    __tablename__ = "nominations"
    __table_args__ = (
        UniqueConstraint("round_id", "case_study_id", name="uq_nominations_round_case"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("award_rounds.id", ondelete="CASCADE"), index=True
    )
    round: Mapped[AwardRound] = relationship(back_populates="nominations")
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id", ondelete="CASCADE"))
    case_study: Mapped[CaseStudy] = relationship()
    # The nominating organisation (None: the secretariat's editors nominated it).
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    partner: Mapped[Partner | None] = relationship()
    nominated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    citation: Mapped[str] = mapped_column(Text)
    administration: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(200), default="")
    named_officers: Mapped[str] = mapped_column(Text, default="")
    officers_consent: Mapped[bool] = mapped_column(default=False)
    category: Mapped[AwardCategory | None] = mapped_column(vocabulary(AwardCategory))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    scores: Mapped[list["Score"]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan"
    )
    conflicts: Mapped[list["ConflictDeclaration"]] = relationship(
        back_populates="nomination", cascade="all, delete-orphan"
    )


class Score(db.Model):
    """One judge's mark (1-5) of one nomination on one criterion."""

    __tablename__ = "award_scores"
    __table_args__ = (
        UniqueConstraint("nomination_id", "judge_id", "criterion_id", name="uq_award_scores_once"),
        CheckConstraint("value BETWEEN 1 AND 5", name="value_one_to_five"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    nomination: Mapped[Nomination] = relationship(back_populates="scores")
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    judge: Mapped[User] = relationship()
    criterion_id: Mapped[int] = mapped_column(ForeignKey("award_criteria.id", ondelete="CASCADE"))
    criterion: Mapped[AwardCriterion] = relationship()
    value: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ConflictDeclaration(db.Model):
    """A judge's own declaration that they cannot score a nomination fairly."""

    __tablename__ = "award_conflicts"
    __table_args__ = (
        UniqueConstraint("nomination_id", "judge_id", name="uq_award_conflicts_once"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nomination_id: Mapped[int] = mapped_column(
        ForeignKey("nominations.id", ondelete="CASCADE"), index=True
    )
    nomination: Mapped[Nomination] = relationship(back_populates="conflicts")
    judge_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(default=utc_now)
