"""The shipped demo data covers what a newcomer needs to see the whole case bank at work."""

from collections import Counter

from casebank.models.vocab import PROSECUTION_OUTCOMES, DetectionMethod
from casebank.services.demo import demo_case_records
from casebank.services.reference_data import shipped_json

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
