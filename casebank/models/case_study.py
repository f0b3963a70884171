"""A case study: one seizure and, where it led to one, its prosecution."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Numeric,
    String,
    Table,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from casebank.extensions import db
from casebank.models.encrypted import EncryptedJSON, EncryptedText
from casebank.models.partner import Partner
from casebank.models.reference import Convention, HSCode
from casebank.models.vocab import (
    AccessLevel,
    CitesAppendix,
    CommodityCategory,
    ControlPoint,
    DetectionMethod,
    FacilityType,
    Language,
    ProsecutionStatus,
    QuantityUnit,
    TransportMode,
    WorkflowStatus,
)


def vocabulary(enum_class):
    """A portable enum column: VARCHAR plus a CHECK constraint, the same on every database."""
    return Enum(
        enum_class,
        name=enum_class.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


case_study_conventions = Table(
    "case_study_conventions",
    db.metadata,
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    Column("convention_id", ForeignKey("conventions.id", ondelete="RESTRICT"), primary_key=True),
)

case_study_hs_codes = Table(
    "case_study_hs_codes",
    db.metadata,
    Column("case_study_id", ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    Column("hs_code_id", ForeignKey("hs_codes.id", ondelete="RESTRICT"), primary_key=True),
)

Money = Numeric(16, 2)


def utc_now():
    return datetime.now(UTC).replace(tzinfo=None)


class StatusWriteRefused(Exception):
    """Something other than the workflow (casebank.services.cases.workflow) set a status."""


_status_writer = ContextVar("case_status_writer", default=False)


@contextmanager
def status_writer():
    """The one door to CaseStudy.status; only the workflow module opens it."""
    token = _status_writer.set(True)
    try:
        yield
    finally:
        _status_writer.reset(token)


class CaseStudy(db.Model):
    """Free text is encrypted at rest (EncryptedText): a restricted case study's words, and
    the officers' notes of every case study, must not be readable from a disk or a dump."""

    __tablename__ = "case_studies"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("estimated_value >= 0", name="value_not_negative"),
        CheckConstraint("fine_amount >= 0", name="fine_not_negative"),
        CheckConstraint("custodial_months >= 0", name="custodial_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str | None] = mapped_column(EncryptedText("title"))
    summary: Mapped[str | None] = mapped_column(EncryptedText("summary"))
    narrative: Mapped[str | None] = mapped_column(EncryptedText("narrative"))
    # Case studies are written in English, in casebank's own words (search analyses them so);
    # a page in another language marks their text lang="en". A column when that changes.
    language = Language.EN

    # The seizure
    # A draft may lack any field but its reference; submitting checks it is complete.
    seizure_date: Mapped[date | None] = mapped_column(index=True)
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    place: Mapped[str | None] = mapped_column(EncryptedText("place"))
    facility_type: Mapped[FacilityType | None] = mapped_column(vocabulary(FacilityType))
    point: Mapped[ControlPoint | None] = mapped_column(vocabulary(ControlPoint))
    transport_mode: Mapped[TransportMode | None] = mapped_column(vocabulary(TransportMode))
    conventions: Mapped[list[Convention]] = relationship(
        secondary=case_study_conventions, order_by=Convention.sort_order
    )
    hs_codes: Mapped[list[HSCode]] = relationship(
        secondary=case_study_hs_codes, order_by=HSCode.code
    )
    commodity_category: Mapped[CommodityCategory | None] = mapped_column(
        vocabulary(CommodityCategory)
    )
    species_scientific_name: Mapped[str | None] = mapped_column(
        EncryptedText("species_scientific_name")
    )
    species_common_name: Mapped[str | None] = mapped_column(EncryptedText("species_common_name"))
    cites_appendix: Mapped[CitesAppendix | None] = mapped_column(vocabulary(CitesAppendix))
    substance_name: Mapped[str | None] = mapped_column(EncryptedText("substance_name"))
    cas_number: Mapped[str | None] = mapped_column(String(12))
    ashrae_number: Mapped[str | None] = mapped_column(String(16))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(16, 3))
    quantity_unit: Mapped[QuantityUnit | None] = mapped_column(vocabulary(QuantityUnit))
    estimated_value: Mapped[Decimal | None] = mapped_column(Money)
    value_currency: Mapped[str | None] = mapped_column(String(3))
    # Lists of ISO 3166-1 alpha-2 codes, in route order.
    origin_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    transit_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    destination_countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    concealment_method: Mapped[str | None] = mapped_column(EncryptedText("concealment_method"))
    detection_method: Mapped[DetectionMethod | None] = mapped_column(vocabulary(DetectionMethod))
    agencies: Mapped[list[str]] = mapped_column(EncryptedJSON("agencies"), default=list)
    goods_disposition: Mapped[str | None] = mapped_column(EncryptedText("goods_disposition"))

    # The prosecution, where there was one
    prosecution_status: Mapped[ProsecutionStatus] = mapped_column(
        vocabulary(ProsecutionStatus), default=ProsecutionStatus.NONE
    )
    court: Mapped[str | None] = mapped_column(EncryptedText("court"))
    charges: Mapped[str | None] = mapped_column(EncryptedText("charges"))
    decision_date: Mapped[date | None]
    fine_amount: Mapped[Decimal | None] = mapped_column(Money)
    fine_currency: Mapped[str | None] = mapped_column(String(3))
    custodial_months: Mapped[int | None]
    appeal_notes: Mapped[str | None] = mapped_column(EncryptedText("appeal_notes"))

    lessons_learned: Mapped[str | None] = mapped_column(EncryptedText("lessons_learned"))
    source_urls: Mapped[list[str]] = mapped_column(EncryptedJSON("source_urls"), default=list)

    # Who may see it, and where it is in the editorial workflow
    access_level: Mapped[AccessLevel] = mapped_column(
        vocabulary(AccessLevel), default=AccessLevel.PUBLIC, index=True
    )
    restricted_notes: Mapped[str | None] = mapped_column(EncryptedText("restricted_notes"))
    status: Mapped[WorkflowStatus] = mapped_column(
        vocabulary(WorkflowStatus), default=WorkflowStatus.DRAFT, index=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        ForeignKey("partners.id", ondelete="SET NULL"), index=True
    )
    partner: Mapped[Partner | None] = relationship()
    # The editor who looks after the case in the review queue.
    assigned_editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    assigned_editor = relationship("User", foreign_keys=[assigned_editor_id])
    # The number of the latest revision: a save that carries an older one is a stale edit.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Editors feature exemplary case studies on the home page (public ones only are shown).
    featured: Mapped[bool] = mapped_column(default=False, server_default=false())

    # Naive UTC everywhere, so SQLite and PostgreSQL store and compare the same values.
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    published_at: Mapped[datetime | None]

    @validates("status")
    def only_the_workflow_writes_status(self, key, value):
        if not _status_writer.get():
            raise StatusWriteRefused(f"{self!r}: status changes only through the workflow")
        return value

    @property
    def is_public(self):
        """Visible to anonymous visitors: published and not restricted."""
        return self.status == WorkflowStatus.PUBLISHED and self.access_level == AccessLevel.PUBLIC

    @property
    def has_prosecution(self):
        return self.prosecution_status != ProsecutionStatus.NONE

    def __repr__(self):
        return f"<CaseStudy {self.reference}>"
