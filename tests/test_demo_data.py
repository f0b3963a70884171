"""The shipped demo data covers what a newcomer needs to see the whole case bank at work."""

from collections import Counter

import pytest
from sqlalchemy import func, select

from casebank import file_types
from casebank.models import CaseMessage, CaseStudy, Document
from casebank.models.vocab import PROSECUTION_OUTCOMES, DetectionMethod, WorkflowStatus
from casebank.services.accounts import find_user
from casebank.services.cases.conversation import messages_for
from casebank.services.cases.editing import incomplete_fields
from casebank.services.cases.workflow import import_status
from casebank.services.demo import (
    demo_case_records,
    demo_submission_records,
    load_demo,
    load_demo_documents,
)
from casebank.services.reference_data import shipped_file, shipped_json
from tests.auth_actions import ROLE_USERS

CONVENTIONS = {"CITES", "MONTREAL", "BASEL", "ROTTERDAM", "STOCKHOLM", "CARTAGENA", "CWC"}


def test_at_least_forty_case_studies_covering_every_convention():
    records = demo_case_records()
    assert len(records) >= 40
    assert {c for r in records for c in r["conventions"]} == CONVENTIONS


def test_at_least_fifteen_countries_and_every_detection_method():
    records = demo_case_records()
    assert len({r["country"] for r in records}) >= 15
    assert {r["detection_method"] for r in records} == {m.value for m in DetectionMethod}


def test_restricted_and_prosecuted_cases_are_represented():
    records = demo_case_records()
    assert sum(r["access_level"] == "restricted" for r in records) >= 8
    assert sum(r["prosecution_status"] in PROSECUTION_OUTCOMES for r in records) >= 10


def test_every_case_study_cites_a_public_source():
    assert all(r["source_urls"] for r in demo_case_records())


def test_hs_reference_table_has_sixty_codes_for_every_convention():
    hs_codes = shipped_json("hs_codes.json")
    assert len(hs_codes) >= 60
    assert len({h["code"] for h in hs_codes}) == len(hs_codes)
    covered = Counter(c for h in hs_codes for c in h["conventions"])
    assert set(covered) == CONVENTIONS


def demo_documents():
    return shipped_json("demo", "documents.json")


def test_demo_documents_cover_three_kinds_and_three_languages():
    records = demo_documents()
    assert 5 <= len(records) <= 6
    assert {r["kind"] for r in records} == {"guidance", "report", "legal_text"}
    assert {r["language"] for r in records} == {"en", "fr", "es"}


def test_each_demo_document_is_a_short_text_that_names_its_sources():
    for record in demo_documents():
        data = shipped_file("demo", "documents", record["file"])
        assert file_types.detect(data) == file_types.TEXT, record["file"]
        content = data.decode()
        assert 300 <= len(content.split()) <= 800, record["file"]
        assert record["source_urls"], record["file"]
        assert all(url in content for url in record["source_urls"]), record["file"]


def loaded_demo_documents(db):
    titles = {r["title"] for r in demo_documents()}
    return [d for d in db.session.scalars(select(Document)) if d.title in titles]


def test_the_demo_loads_its_documents_public_published_and_with_their_text(db, client):
    loaded = loaded_demo_documents(db)
    assert len(loaded) == len(demo_documents())
    assert all(d.is_public for d in loaded)
    assert all("Sources" in d.extracted_text or "Fuentes" in d.extracted_text for d in loaded)
    page = client.get("/documents").get_data(as_text=True)
    assert "Operation DEMETER: customs against waste" in page


def test_loading_the_demo_documents_again_creates_none(db):
    before = len(loaded_demo_documents(db))
    assert load_demo_documents() == 0
    assert len(loaded_demo_documents(db)) == before


# The demo submissions: a queue for the editors to work on
SUBMISSION_STATES = {
    "draft": "WCO",
    "submitted": "WCO",
    "in_review": "TRAFFIC",
    "changes_requested": "WCO",
}


def submission(db, status):
    return db.session.scalar(select(CaseStudy).filter_by(status=status))


def test_the_demo_submissions_are_new_case_studies_one_in_each_state():
    records = demo_submission_records()
    assert {r["status"]: r["partner"] for r in records} == SUBMISSION_STATES
    published = {r["reference"] for r in demo_case_records()}
    assert not published & {r["reference"] for r in records}
    assert len({r["reference"] for r in records}) == len(records)
    published_titles = {r["title"] for r in demo_case_records()}
    assert not published_titles & {r["title"] for r in records}


def test_the_demo_submissions_cite_sources_and_illustrate_restricted_notes():
    records = demo_submission_records()
    assert all(len(r["source_urls"]) >= 2 for r in records)
    assert all(120 <= len(r["narrative"].split()) <= 300 for r in records)
    notes = [r["restricted_notes"] for r in records if r["restricted_notes"]]
    assert len(notes) == 2
    assert all(note.endswith("(demo note)") for note in notes)


def test_the_demo_submissions_beyond_draft_are_complete(db):
    for status in SUBMISSION_STATES:
        case = submission(db, status)
        assert case is not None, status
        if status != "draft":
            assert incomplete_fields(case) == {}, case.reference
        assert case.partner.acronym == SUBMISSION_STATES[status]


def test_the_editors_queue_shows_the_waiting_submissions(auth, client):
    auth.login(role="editor")
    page = client.get("/editorial/cases").get_data(as_text=True)
    waiting = [r for r in demo_submission_records() if r["status"] in ("submitted", "in_review")]
    assert len(waiting) == 2
    for record in waiting:
        assert record["reference"] in page
    assert "No case study matches" not in page


def test_the_changes_requested_submission_carries_the_editors_request(db):
    case = submission(db, WorkflowStatus.CHANGES_REQUESTED)
    messages = db.session.scalars(select(CaseMessage).filter_by(case_study_id=case.id)).all()
    assert len(messages) == 1
    assert not messages[0].internal
    assert messages[0].author is None
    assert "court decision" in messages[0].body
    assert "quantity" in messages[0].body


def test_the_in_review_submission_carries_an_internal_note(db):
    case = submission(db, WorkflowStatus.IN_REVIEW)
    messages = db.session.scalars(select(CaseMessage).filter_by(case_study_id=case.id)).all()
    assert [m.internal for m in messages] == [True]


def test_only_editors_read_the_internal_note(db):
    case = submission(db, WorkflowStatus.IN_REVIEW)
    assert len(messages_for(case, find_user(ROLE_USERS["editor"][0]))) == 1
    assert messages_for(case, find_user(ROLE_USERS["partner"][0])) == []


@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_no_demo_submission_reaches_the_public_or_officers_pages(auth, client, role):
    auth.login(role=role)
    for record in demo_submission_records():
        assert client.get(f"/cases/{record['reference']}").status_code == 404
    for query in ("pangolin oyster shells", "ivory Kwai Chung", "HCFC-22 Charleston"):
        page = client.get("/search", query_string={"q": query}).get_data(as_text=True)
        for record in demo_submission_records():
            assert record["reference"] not in page, (role, query)


def test_loading_the_demo_again_adds_no_submission_nor_message_twice(db):
    cases_before = db.session.scalar(select(func.count()).select_from(CaseStudy))
    messages_before = db.session.scalar(select(func.count()).select_from(CaseMessage))
    load_demo()
    assert db.session.scalar(select(func.count()).select_from(CaseStudy)) == cases_before
    assert db.session.scalar(select(func.count()).select_from(CaseMessage)) == messages_before


def test_loading_the_demo_again_leaves_an_editors_work_alone(db):
    case = submission(db, WorkflowStatus.SUBMITTED)
    import_status(case, WorkflowStatus.IN_REVIEW)  # as if an editor had taken it up
    db.session.flush()
    load_demo()
    db.session.refresh(case)
    assert case.status == WorkflowStatus.IN_REVIEW


def test_the_editors_review_page_shows_the_request_from_the_secretariat(auth, client):
    auth.login(role="editor")
    page = client.get("/editorial/cases/CB-2010-001").get_data(as_text=True)
    assert "court decision" in page
    assert "casebank ·" in page  # a message without an author is the secretariat's
