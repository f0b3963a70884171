"""Documents and attachments in the file store, and the risk indicators some documents carry.

A document row describes one stored file; the bytes live in the file store under
`stored_name` (a random token), sealed when the document is restricted. A document of kind
risk_indicator has one RiskIndicator row (1:1, sharing its id) with its review dates, links
and indicators. Free text is encrypted at rest like a case study's.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casebank.extensions import db
from casebank.models.case_study import CaseStudy, utc_now, vocabulary
from casebank.models.encrypted import EncryptedJSON, EncryptedText
from casebank.models.reference import Convention, HSCode
from casebank.models.vocab import AccessLevel, DocumentKind, DocumentStatus, Language


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (CheckConstraint("size_bytes >= 0", name="size_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Free text is encrypted at rest (EncryptedText), so lists filter and sort it in Python.
    title: Mapped[str] = mapped_column(EncryptedText("documents.title"))
    kind: Mapped[DocumentKind] = mapped_column(vocabulary(DocumentKind), index=True)
    access_level: Mapped[AccessLevel] = mapped_column(
        vocabulary(AccessLevel), default=AccessLevel.RESTRICTED, index=True
    )
    language: Mapped[Language] = mapped_column(vocabulary(Language), default=Language.EN)
    description: Mapped[str | None] = mapped_column(EncryptedText("documents.description"))
    status: Mapped[DocumentStatus] = mapped_column(
        vocabulary(DocumentStatus), default=DocumentStatus.DRAFT, index=True
    )

    # The file. original_filename is shown and offered on download, never used as a path.
    original_filename: Mapped[str] = mapped_column(EncryptedText("documents.original_filename"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))  # of the plaintext, checked on every serve
    # The file's words for search (services/text_extraction.py), sealed like the file itself
    # could be: None means not extracted yet, "" that there is nothing to extract (an image).
    extracted_text: Mapped[str | None] = mapped_column(EncryptedText("documents.extracted_text"))

    # An attachment (photo, X-ray scan, report) belongs to one case study.
    case_study_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_studies.id", ondelete="SET NULL"), index=True
    )
    case_study: Mapped[CaseStudy | None] = relationship()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    published_at: Mapped[datetime | None]

    risk_indicator: Mapped["RiskIndicator | None"] = relationship(
        back_populates="document", cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_restricted(self):
        return self.access_level == AccessLevel.RESTRICTED

    @property
    def is_public(self):
        """Readable by anyone: published, public, and not attached to a case study the public
        cannot see (the rule of services.documents.visible_documents, for one document)."""
        return (
            self.status == DocumentStatus.PUBLISHED
            and self.access_level == AccessLevel.PUBLIC
            and (self.case_study is None or self.case_study.is_public)
        )

    def __repr__(self):
        return f"<Document {self.id}>"


def link_table(name, column, target, ondelete):
    """A many-to-many link from a risk indicator to target ("table.id")."""
    return Table(
        name,
        db.metadata,
        Column(
            "risk_indicator_id",
            ForeignKey("risk_indicators.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column(column, ForeignKey(target, ondelete=ondelete), primary_key=True),
    )


# Reference data cannot be deleted while a risk indicator uses it; a deleted case study
# simply drops out of the links.
risk_indicator_conventions = link_table(
    "risk_indicator_conventions", "convention_id", "conventions.id", "RESTRICT"
)
risk_indicator_hs_codes = link_table(
    "risk_indicator_hs_codes", "hs_code_id", "hs_codes.id", "RESTRICT"
)
risk_indicator_case_studies = link_table(
    "risk_indicator_case_studies", "case_study_id", "case_studies.id", "CASCADE"
)


class RiskIndicator(db.Model):
    """The risk-indicator part of a document of kind risk_indicator: 1:1, its id is the
    document's id (a column named id, like every table key rotation walks)."""

    __tablename__ = "risk_indicators"
    __table_args__ = (
        CheckConstraint("review_due_date >= last_reviewed_date", name="review_due_after_review"),
    )

    id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[Document] = relationship(back_populates="risk_indicator")
    # [{"category": ..., "indicator": ...}], encrypted at rest.
    indicators: Mapped[list[dict]] = mapped_column(EncryptedJSON("risk_indicators.indicators"))
    last_reviewed_date: Mapped[date]
    review_due_date: Mapped[date] = mapped_column(index=True)
    conventions: Mapped[list[Convention]] = relationship(
        secondary=risk_indicator_conventions, order_by=Convention.sort_order
    )
    hs_codes: Mapped[list[HSCode]] = relationship(
        secondary=risk_indicator_hs_codes, order_by=HSCode.code
    )
    case_studies: Mapped[list[CaseStudy]] = relationship(
        secondary=risk_indicator_case_studies, order_by=CaseStudy.reference
    )

    def overdue(self, today=None):
        return self.review_due_date < (today or date.today())

    def __repr__(self):
        return f"<RiskIndicator {self.id}>"


class DocumentVersion(db.Model):
    """One upload of a document: version 1 is its first file, each new upload adds one.

    The document row mirrors its current (highest-numbered) version's file, so search, the
    API and downloads of "the document" keep reading the document row; earlier versions stay
    downloadable from here. Sealed values use the same associated data as the document's own
    columns, so the migration could copy version 1's sealed name and text as they were.
    A preview is a PNG thumbnail in the file store (sealed like the file when restricted)
    and/or a short text excerpt.
    """

    __tablename__ = "document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number", name="one_number_per_document"),
        CheckConstraint("number >= 1", name="version_number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    document: Mapped[Document] = relationship(back_populates="versions")
    number: Mapped[int]
    label: Mapped[str] = mapped_column(String(100))
    version_date: Mapped[date]
    changes: Mapped[str | None] = mapped_column(EncryptedText("document_versions.changes"))
    original_filename: Mapped[str] = mapped_column(EncryptedText("documents.original_filename"))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    extracted_text: Mapped[str | None] = mapped_column(EncryptedText("documents.extracted_text"))
    preview_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    preview_text: Mapped[str | None] = mapped_column(
        EncryptedText("document_versions.preview_text")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    @property
    def is_restricted(self):
        return self.document.is_restricted

    def __repr__(self):
        return f"<DocumentVersion {self.document_id}.{self.number}>"


Document.versions = relationship(
    DocumentVersion,
    back_populates="document",
    cascade="all, delete-orphan",
    order_by=DocumentVersion.number.desc(),
)


# The conventions a document concerns (the library's convention filter), for every kind.
document_conventions = Table(
    "document_conventions",
    db.metadata,
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True),
    Column("convention_id", ForeignKey("conventions.id", ondelete="RESTRICT"), primary_key=True),
)
Document.conventions = relationship(
    Convention, secondary=document_conventions, order_by=Convention.sort_order
)
