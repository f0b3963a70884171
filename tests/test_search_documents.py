"""Documents in search: published public ones for everyone, beside case studies; restricted
ones (risk indicators too) for officers only; each analysed in its own language; in step with
the database as they are uploaded, published, reclassified and unpublished."""

import pytest
from sqlalchemy import select

from casebank.extensions import db
from casebank.models import Document
from casebank.search import check_index
from casebank.search.engine import PUBLIC
from casebank.services import documents
from tests.factories import make_case
from tests.search_helpers import Officer, search

CANARY = "vortexmandrill"
KIGALI = "L'amendement de Kigali au Protocole de Montréal : repères pour les douanes"
BASEL = "Convenio de Basilea: las enmiendas sobre desechos plásticos"


def titles(results):
    return [hit.fields["title"] for hit in results.hits]


def kigali_document():
    """The demo's one French guidance document (titles are encrypted: no SQL on them)."""
    return db.session.scalar(select(Document).filter_by(kind="guidance", language="fr"))


def upload(text, **fields):
    fields = {"title": "Field note", "kind": "guidance", "access_level": "public", **fields}
    document = documents.create_document(fields, text.encode(), "note.txt")
    db.session.commit()
    return document


@pytest.mark.parametrize(
    ("query", "title", "marked"),
    [
        ("appauvrir", KIGALI, "<mark>appauvrissent</mark>"),  # French stems meet
        ("peligrosa", BASEL, "<mark>peligrosos</mark>"),  # Spanish stems meet
    ],
)
def test_documents_are_analysed_in_their_own_language(query, title, marked):
    results = search(query)
    assert titles(results) == [title]  # the English analyser alone would find nothing
    assert marked in results.hits[0].snippet


def test_case_studies_and_documents_come_together_and_the_kind_facet_counts_them():
    results = search("ozone")
    kinds = dict(results.facets["kind"])
    assert kinds["case"] > 0 and kinds["report"] > 0 and kinds["guidance"] > 0
    reports = search("ozone", kind="report")
    assert reports.total == kinds["report"]
    assert {hit.kind for hit in reports.hits} == {"report"}


def test_a_document_hit_leads_to_its_public_page(client):
    kigali = kigali_document()
    page = client.get("/search?q=appauvrir").get_data(as_text=True)
    assert f'href="/documents/{kigali.id}"' in page and "Guidance" in page
    detail = client.get(f"/documents/{kigali.id}")
    assert detail.status_code == 200 and "repères pour les douanes" in detail.get_data(True)


def test_restricted_documents_reach_officers_only(client):
    upload(f"Cylinders relabelled at {CANARY} yard.", access_level="restricted", status="published")
    for query in (CANARY, CANARY[:-1], f"{CANARY[:5]}*"):
        results = search(query)
        assert results.total == 0 and results.suggestion is None
        assert not any(results.facets.values())
    answer = client.get(f"/api/v1/search?q={CANARY}").get_json()
    assert answer["total"] == 0 and answer["hits"] == []
    hit = search(CANARY, user=Officer()).hits[0]
    assert hit.kind == "guidance" and not hit.public
    assert f"<mark>{CANARY}</mark>" in hit.snippet


def test_risk_indicators_are_searchable_by_their_indicators_for_officers_only():
    words = "non-refillable disposable cylinders"
    officer_kinds = dict(search(words, user=Officer()).facets["kind"])
    assert officer_kinds.get("risk_indicator", 0) >= 1
    assert "risk_indicator" not in dict(search(words).facets["kind"])


def test_uploading_publishing_reclassifying_and_unpublishing_follow_in_search():
    document = upload(f"Notes on the {CANARY} route.")  # a draft
    assert search(CANARY).total == 0
    documents.publish(document, None)
    db.session.commit()
    assert search(CANARY).total == 1
    documents.update_document(document, {"access_level": "restricted"})
    db.session.commit()
    assert search(CANARY).total == 0 and search(CANARY, user=Officer()).total == 1
    documents.unpublish(document, None)
    db.session.commit()
    assert search(CANARY, user=Officer()).total == 0


def test_check_index_puts_back_a_document_the_index_lost(search_index):
    kigali = kigali_document()
    with search_index.writers() as writers:
        writers[PUBLIC].delete_by_term("key", f"document:{kigali.id}")
    assert search("appauvrir").total == 0
    report = check_index(repair=True)
    assert report[PUBLIC]["missing"] == 1 and report["repaired"] == 1
    assert titles(search("appauvrir")) == [KIGALI]


def test_a_public_attachment_of_a_case_the_public_cannot_see_stays_out_of_public_search():
    case = make_case(title="Open case")
    db.session.commit()
    upload(f"Scan of the {CANARY} container.", status="published", case_study=case)
    assert search(CANARY).total == 1
    case.access_level = "restricted"  # the attachment follows its case out of public view
    db.session.commit()
    assert search(CANARY).total == 0
    hit = search(CANARY, user=Officer()).hits[0]
    assert not hit.public  # so it links into the restricted area, not to a public 404
    assert check_index(repair=False)[PUBLIC] == {"missing": 0, "extra": 0, "stale": 0}


def test_a_risk_indicator_made_public_keeps_its_items_out_of_the_public_index():
    risk = db.session.scalar(select(Document).filter_by(kind="risk_indicator"))
    risk.risk_indicator.indicators = [{"category": "routing", "indicator": f"Via {CANARY}."}]
    documents.update_document(risk, {"access_level": "public"})
    db.session.commit()
    assert search(risk.title.split()[0]).facets["kind"]  # the document itself is public now
    assert search(CANARY).total == 0
    assert search(CANARY, user=Officer()).total == 1
