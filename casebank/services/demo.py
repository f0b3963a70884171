"""The demo case bank: partners and case studies written from public reports, a few
illustrative risk-indicator documents (restricted, sealed like any upload), and public
documents summarising public material (each names its sources)."""

from datetime import date

from sqlalchemy import func, select

from casebank.extensions import db
from casebank.models import CaseStudy, Document
from casebank.models.vocab import AccessLevel, DocumentKind, DocumentStatus
from casebank.services.case_transfer import import_cases, no_progress
from casebank.services.documents import create_document
from casebank.services.reference_data import (
    load_partners,
    load_reference,
    shipped_file,
    shipped_json,
)
from casebank.services.risk_indicators import RiskIndicatorData, create_with_sheet


def demo_case_records():
    return shipped_json("demo", "case_studies.json")


def has_case_studies():
    return db.session.scalar(select(func.count()).select_from(CaseStudy)) > 0


def load_demo(progress=no_progress):
    """Reference data, partners and the demo case studies, through the normal import path."""
    load_reference()
    load_partners()
    result = import_cases(demo_case_records(), progress)
    load_demo_risk_indicators()
    load_demo_documents()
    return result


def load_demo_risk_indicators():
    """The demo risk indicators, each created once (known titles are left alone)."""
    created = 0
    known = select(Document).filter_by(kind=DocumentKind.RISK_INDICATOR)
    titles = {document.title for document in db.session.scalars(known)}  # encrypted: compared here
    for record in shipped_json("demo", "risk_indicators.json"):
        if record["title"] in titles:
            continue
        fields = {
            "title": record["title"],
            "description": record["description"],
            "language": record["language"],
            "access_level": AccessLevel.RESTRICTED,
            "status": DocumentStatus.PUBLISHED,
        }
        data = RiskIndicatorData(
            indicators=record["indicators"],
            last_reviewed_date=date.fromisoformat(record["last_reviewed_date"]),
            review_due_date=date.fromisoformat(record["review_due_date"]),
            conventions=record["conventions"],
            hs_codes=record["hs_codes"],
            case_references=record["case_references"],
        )
        create_with_sheet(fields, data)
        created += 1
    return created


def load_demo_documents():
    """The public demo documents, each created once (known titles are left alone), through the
    upload path so that their text is extracted like any upload's."""
    known = select(Document).filter_by(access_level=AccessLevel.PUBLIC)
    titles = {document.title for document in db.session.scalars(known)}  # encrypted: compared here
    created = 0
    for record in shipped_json("demo", "documents.json"):
        if record["title"] in titles:
            continue
        fields = {
            "title": record["title"],
            "kind": record["kind"],
            "language": record["language"],
            "description": record["description"],
            "access_level": AccessLevel.PUBLIC,
            "status": DocumentStatus.PUBLISHED,
        }
        data = shipped_file("demo", "documents", record["file"])
        create_document(fields, data, record["file"])
        created += 1
    return created
