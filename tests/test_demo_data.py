"""The shipped demo data covers what a newcomer needs to see the whole case bank at work."""

from collections import Counter

from sqlalchemy import select

from casebank import file_types
from casebank.models import Document
from casebank.models.vocab import PROSECUTION_OUTCOMES, DetectionMethod
from casebank.services.demo import demo_case_records, load_demo_documents
from casebank.services.reference_data import shipped_file, shipped_json

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
