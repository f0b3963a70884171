"""Risk indicators: officers read them grouped by category with their scope, validity and the
case studies that show them (and each case shows its indicators); editors write them; nobody
else sees them, and their text is never stored in clear."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from casebank import crypto
from casebank.extensions import db as _db
from casebank.models import AuditEvent, CaseStudy, Document
from casebank.services import documents, risk_indicators
from casebank.services.risk_indicators import RiskIndicatorData
from casebank.storage import file_store
from tests.auth_actions import ROLES
from tests.factories import make_case

CANARY = "canary-indicator-pangolin-7310"
HFC_TITLE = "Demo: HFC refrigerant smuggling — risk indicators"
NEW = "/editorial/documents/new"


def titled(start):
    """The first document whose title starts so (titles are encrypted: compared here)."""
    documents_ = _db.session.scalars(select(Document).order_by(Document.id))
    return next((d for d in documents_ if d.title.startswith(start)), None)


demo = titled


def make_risk_indicator(case, status="published", **changes):
    data = RiskIndicatorData(
        indicators=[
            {"category": "packaging", "indicator": f"Cylinders repainted {CANARY}"},
            {"category": "routing", "indicator": "Transit by road through a third country"},
        ],
        last_reviewed_date=date.today() - timedelta(days=30),
        review_due_date=date.today() + timedelta(days=300),
        conventions=["MONTREAL"],
        hs_codes=["3827.61"],
        case_references=[case.reference],
    )
    for name, value in changes.items():
        setattr(data, name, value)
    fields = {"title": f"Indicators {CANARY}", "access_level": "restricted", "status": status}
    return risk_indicators.create_with_sheet(fields, data)


def form_fields(**changes):
    fields = {
        "title": "Mercury in gold-mining supplies",
        "kind": "risk_indicator",
        "access_level": "restricted",
        "language": "en",
        "description": "Typed description",
        "case_reference": "",
        "conventions": ["BASEL"],
        "hs_codes": "2805.40",
        "indicators": "commodity: Flasks declared as industrial chemicals\n"
        "routing: Via a free zone",
        "last_reviewed_date": "2026-01-10",
        "review_due_date": "2027-01-10",
        "case_references": "",
    }
    fields.update(changes)
    return fields


# Officers read them
def test_officer_reads_a_risk_indicator_grouped_by_category(auth, db):
    document = demo("Demo: HFC")
    auth.login("officer")
    response = auth.client.get(f"/restricted/risk-indicators/{document.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert page.index('id="cat-routing"') < page.index('id="cat-documents"')
    assert page.index('id="cat-documents"') < page.index('id="cat-packaging"')
    assert "Non-refillable (disposable) cylinders" in page
    assert "Montreal Protocol" in page and "3827.61" in page
    assert "Review due" in page
    for reference in ("CB-2020-102", "CB-2020-103", "CB-2020-108", "CB-2022-109"):
        assert f"/restricted/cases/{reference}" in page


def test_a_risk_indicator_past_its_review_date_says_so(auth, db):
    overdue = demo("Demo: ivory")  # review was due in March 2025
    current = make_risk_indicator(make_case())  # due in 300 days
    assert overdue.risk_indicator.overdue() and not current.risk_indicator.overdue()
    auth.login("officer")
    page = auth.client.get(f"/restricted/risk-indicators/{overdue.id}").get_data(as_text=True)
    assert "Overdue for review" in page
    page = auth.client.get(f"/restricted/risk-indicators/{current.id}").get_data(as_text=True)
    assert "Overdue for review" not in page


def test_links_are_visible_both_ways(auth, db):
    case = make_case(access_level="restricted")
    document = make_risk_indicator(case)
    auth.login("officer")
    indicator_page = auth.client.get(f"/restricted/risk-indicators/{document.id}")
    assert f"/restricted/cases/{case.reference}" in indicator_page.get_data(as_text=True)
    case_page = auth.client.get(f"/restricted/cases/{case.reference}").get_data(as_text=True)
    assert f"/restricted/risk-indicators/{document.id}" in case_page
    demo_case = auth.client.get("/restricted/cases/CB-2020-102").get_data(as_text=True)
    assert HFC_TITLE in demo_case


def test_officers_filter_risk_indicators(auth, db):
    make_risk_indicator(make_case())
    auth.login("officer")
    montreal = auth.client.get("/restricted/risk-indicators?convention=MONTREAL").get_data(
        as_text=True
    )
    assert "HFC refrigerant" in montreal and "ivory" not in montreal
    by_hs = auth.client.get("/restricted/risk-indicators?hs=0507").get_data(as_text=True)
    assert "ivory" in by_hs and "HFC refrigerant" not in by_hs
    overdue = auth.client.get("/restricted/risk-indicators?overdue=1").get_data(as_text=True)
    assert "ivory" in overdue and CANARY not in overdue
    bad = auth.client.get("/restricted/risk-indicators?convention=NOPE").get_data(as_text=True)
    assert "Convention: “NOPE” is not a value we know" in bad


def test_viewing_a_risk_indicator_is_audited(auth, db):
    document = demo("Demo: e-waste")
    auth.login("officer")
    auth.client.get(f"/restricted/risk-indicators/{document.id}")
    query = select(AuditEvent).filter_by(action="restricted.risk_indicator.view")
    (event,) = db.session.scalars(query)
    assert event.target_id == str(document.id) and event.actor_label.startswith("officer@")


def test_drafts_are_not_shown_to_officers(auth, db):
    document = make_risk_indicator(make_case(), status="draft")
    auth.login("officer")
    assert auth.client.get(f"/restricted/risk-indicators/{document.id}").status_code == 404
    assert CANARY not in auth.client.get("/restricted/risk-indicators").get_data(as_text=True)


# Nobody else does
@pytest.mark.parametrize("role", [r for r in ROLES if r != "officer"])
def test_no_risk_indicator_text_for_those_not_cleared(app, auth, db, role):
    case = make_case()
    document = make_risk_indicator(case)
    auth.login(role)
    paths = [
        f"/restricted/risk-indicators/{document.id}",
        "/restricted/risk-indicators",
        "/restricted/documents",
        f"/restricted/documents/{document.id}",
        f"/restricted/documents/{document.id}/download",
        f"/documents/{document.id}/download",
        "/documents",
        f"/cases/{case.reference}",
        f"/restricted/cases/{case.reference}",
    ]
    for path in paths:
        response = auth.client.get(path)
        if role == "editor" and path.startswith("/editorial"):
            continue
        assert CANARY not in response.get_data(as_text=True) + str(response.headers), path
        assert response.status_code in (302, 404) or not path.startswith("/restricted"), path


def test_officer_does_see_the_canary(auth, db):
    document = make_risk_indicator(make_case())
    auth.login("officer")
    page = auth.client.get(f"/restricted/risk-indicators/{document.id}").get_data(as_text=True)
    assert CANARY in page


def test_indicator_text_is_sealed_in_the_database_and_the_file_store(app, db):
    document = make_risk_indicator(make_case())
    sealed = db.session.execute(
        text("SELECT indicators FROM risk_indicators WHERE id = :id"),
        {"id": document.id},
    ).scalar_one()
    assert CANARY.encode() not in bytes(sealed)
    for path in Path(app.config["DATA_DIR"]).rglob("*"):
        if path.is_file() and path.suffix != ".db":
            assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY in documents.read_file(document).decode()  # the sheet holds the text


def test_demo_risk_indicators_are_restricted_published_and_sealed(db):
    items = list(db.session.scalars(select(Document).filter_by(kind="risk_indicator")))
    assert len(items) >= 3
    for document in items:
        assert document.access_level == "restricted" and document.status == "published"
        assert document.title.startswith("Demo:")
        blob = file_store().read(document.stored_name)
        assert blob.startswith(crypto.MAGIC) and b"indicator" not in blob.lower()


# Editors write them
def test_editor_writes_a_risk_indicator_without_a_file(auth, db):
    case = db.session.scalar(select(CaseStudy).filter_by(reference="CB-2019-114"))
    auth.login("editor")
    response = auth.post_form(NEW, form_fields(case_references="CB-2019-114"))
    assert response.status_code == 302
    document = titled(form_fields()["title"])
    risk = document.risk_indicator
    assert document.media_type.startswith("text/plain") and document.status == "draft"
    assert [c.code for c in risk.conventions] == ["BASEL"]
    assert [h.code for h in risk.hs_codes] == ["2805.40"]
    assert risk.case_studies == [case]
    assert risk.indicators[1] == {
        "category": "routing",
        "indicator": "Via a free zone",
    }


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"review_due_date": "2025-01-01"}, "review_due_date", "cannot be before"),
        ({"review_due_date": "not a date"}, "review_due_date", "Not a valid date"),
        ({"indicators": "smell: strange"}, "indicators", "Line 1"),
        ({"indicators": ""}, "indicators", "Required for a risk indicator"),
        ({"hs_codes": "9999.99"}, "hs_codes", "Not known: 9999.99"),
        ({"case_references": "CB-0000-000"}, "case_references", "Not known: CB-0000-000"),
    ],
)
def test_bad_risk_indicator_input_is_refused_and_kept(auth, db, changes, field, message):
    auth.login("editor")
    fields = form_fields(**changes)
    response = auth.post_form(NEW, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "Typed description" in page and "Mercury in gold-mining supplies" in page
    if fields["indicators"]:
        assert "Flasks declared as industrial chemicals" in page or "smell" in page
    assert titled(fields["title"]) is None


def test_the_database_refuses_a_review_due_before_the_last_review(db):
    document = demo("Demo: HFC")
    risk = document.risk_indicator
    risk.review_due_date = risk.last_reviewed_date - timedelta(days=1)
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError on both databases
        db.session.flush()
    db.session.rollback()


def test_editor_edits_a_risk_indicator(auth, db):
    document = demo("Demo: e-waste")
    auth.login("editor")
    path = f"/editorial/documents/{document.id}"
    page = auth.client.get(path).get_data(as_text=True)
    assert "documents: Declared as aluminium" in page  # the indicators, ready to edit
    response = auth.post_form(
        path,
        form_fields(
            title=document.title,
            conventions=["BASEL"],
            hs_codes="8549",
            case_references="CB-2023-113",
        ),
    )
    assert response.status_code == 302
    assert [c.reference for c in document.risk_indicator.case_studies] == ["CB-2023-113"]


def test_every_form_error_shows_at_once(auth, db):
    auth.login("editor")
    fields = form_fields(indicators="smell: odd", last_reviewed_date="", review_due_date="")
    page = auth.post_form(NEW, fields).get_data(as_text=True)
    assert "Line 1" in page and page.count("Required for a risk indicator") >= 2


def test_a_risk_indicator_without_a_file_gets_a_tidy_sheet_name(db):
    document = demo("Demo: HFC")
    assert document.original_filename == "demo-hfc-refrigerant-smuggling-risk-indicators.txt"


def test_audit_events_name_the_document_but_not_its_restricted_title(auth, db):
    document = make_risk_indicator(make_case())
    auth.login("officer")
    auth.client.get(f"/restricted/risk-indicators/{document.id}")
    auth.client.get(f"/restricted/documents/{document.id}/download")
    actions = ("restricted.risk_indicator.view", "restricted.document.download")
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(actions))))
    assert len(events) == 2
    assert all(e.target_id == str(document.id) and CANARY not in str(e.details) for e in events)
