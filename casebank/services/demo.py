"""The demo case bank: partners and case studies written from public reports, a few
submissions waiting in the editors' queue (with their conversation), illustrative
risk-indicator documents (restricted, sealed like any upload), and public documents
summarising public material (each names its sources), and the demo award rounds."""

from datetime import date

from sqlalchemy import func, select

from casebank.extensions import db
from casebank.models import CaseMessage, CaseStudy, Document, Feedback
from casebank.models.case_study import utc_now
from casebank.models.vocab import AccessLevel, DocumentKind, DocumentStatus, FeedbackStatus
from casebank.services.awards.demo import load_demo_awards
from casebank.services.case_transfer import import_cases, no_progress
from casebank.services.catalogue import all_conventions
from casebank.services.document_versions import add_version, get_version
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


def demo_submission_records():
    return shipped_json("demo", "submissions.json")


def has_case_studies():
    return db.session.scalar(select(func.count()).select_from(CaseStudy)) > 0


def load_demo(progress=no_progress):
    """Reference data, partners and the demo case studies, through the normal import path."""
    load_reference()
    load_partners()
    result = import_cases(demo_case_records(), progress)
    result.created += load_demo_submissions(progress).created
    load_demo_risk_indicators()
    load_demo_documents()
    load_demo_awards()
    load_demo_versions_and_feedback()
    return result


def load_demo_submissions(progress=no_progress):
    """The demo submissions (draft, submitted, in review, changes requested) through the normal
    import path, each once: a known reference is left alone so that loading the demo again
    does not undo what an editor has since done with it, nor repeat its messages."""
    known = set(db.session.scalars(select(CaseStudy.reference)))
    new = [r for r in demo_submission_records() if r["reference"] not in known]
    result = import_cases(new, progress)
    add_demo_messages({r["reference"] for r in new})
    return result


def add_demo_messages(references):
    """The demo conversation of the newly imported submissions, written by nobody in particular
    (no author: the secretariat's side)."""
    query = select(CaseStudy).where(CaseStudy.reference.in_(references))
    cases = {case.reference: case for case in db.session.scalars(query)}
    for record in shipped_json("demo", "submission_messages.json"):
        case = cases.get(record["reference"])
        if case is not None:
            message = CaseMessage(case_study=case, body=record["body"], internal=record["internal"])
            db.session.add(message)
    db.session.flush()


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
            "conventions": [
                c for c in all_conventions() if c.code in record.get("conventions", ())
            ],
        }
        data = shipped_file("demo", "documents", record["file"])
        create_document(fields, data, record["file"])
        created += 1
    return created


def load_demo_versions_and_feedback():
    """A second version of a demo document and some feedback (approved with a reply, one
    pending, one on the site), each once: versions by number, feedback only into an empty
    feedback table, so that what editors have since moderated is left alone."""
    by_file = demo_documents_by_file()
    for record in shipped_json("demo", "document_versions.json"):
        document = by_file.get(record["document_file"])
        if document is None or get_version(document, int(record["label"])) is not None:
            continue
        fields = {
            "label": record["label"],
            # The demo's first versions are dated the day they are loaded, so this one too.
            "version_date": date.fromisoformat(record["version_date"])
            if record["version_date"]
            else date.today(),
            "changes": record["changes"],
        }
        data = shipped_file("demo", "documents", record["file"])
        add_version(document, fields, data, record["file"], None)
    if db.session.scalar(select(func.count()).select_from(Feedback)):
        return
    for record in shipped_json("demo", "feedback.json"):
        document = by_file.get(record["document_file"])
        if record["document_file"] and document is None:
            continue
        feedback = Feedback(
            document=document,
            version=document and get_version(document, record["version"]),
            addressed_in=document
            and record["addressed_in"]
            and get_version(document, record["addressed_in"]),
            status=FeedbackStatus(record["status"]),
            replied_at=utc_now() if record["reply"] else None,
            **{
                name: record[name]
                for name in (
                    "rating",
                    "comment",
                    "name",
                    "organisation",
                    "country",
                    "consent_to_publish",
                    "reply",
                )
            },
        )
        db.session.add(feedback)
    db.session.flush()


def demo_documents_by_file():
    """The public demo documents by their shipped file name (titles are compared here)."""
    titles = {r["title"]: r["file"] for r in shipped_json("demo", "documents.json")}
    known = select(Document).filter_by(access_level=AccessLevel.PUBLIC)
    return {titles[d.title]: d for d in db.session.scalars(known) if d.title in titles}
