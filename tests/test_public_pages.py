"""The public catalogue: every page renders, filters return the right cases, and nothing
restricted or unpublished reaches a public page."""

import re
from datetime import date

import pytest
from sqlalchemy import select

from casebank.models import CaseStudy
from casebank.services.demo import demo_case_records
from tests.factories import make_case, move_case

PUBLIC_PAGES = ["/", "/cases", "/conventions", "/hs-codes", "/about", "/hs-codes?q=2903"]


def public_demo():
    return [r for r in demo_case_records() if r["access_level"] == "public"]


def restricted_demo():
    return [r for r in demo_case_records() if r["access_level"] == "restricted"]


def listed_references(client, query=""):
    """All references the case list shows for a query, following every page."""
    references, page = [], 1
    while True:
        html = client.get(f"/cases?{query}&page={page}").get_data(as_text=True)
        found = re.findall(r'href="/cases/([A-Z0-9-]+)"', html)
        references += found
        if 'rel="next"' not in html:
            return references
        page += 1


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_renders(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "<h1" in response.get_data(as_text=True)


def test_every_public_case_page_renders_its_public_fields(client):
    for record in public_demo():
        html = client.get(f"/cases/{record['reference']}").get_data(as_text=True)
        assert record["reference"] in html
        assert record["source_urls"][0].replace("&", "&amp;") in html


def test_restricted_case_is_404_like_a_missing_one(client):
    missing = client.get("/cases/NO-SUCH-CASE")
    for record in restricted_demo():
        response = client.get(f"/cases/{record['reference']}")
        assert response.status_code == 404
        assert response.get_data() == missing.get_data()


@pytest.mark.parametrize("status", ["draft", "submitted", "in_review", "rejected", "withdrawn"])
def test_unpublished_case_is_404(client, status):
    case = make_case(status=status, title="Unpublished canary seizure")
    assert client.get(f"/cases/{case.reference}").status_code == 404
    assert "Unpublished canary" not in client.get("/cases").get_data(as_text=True)


def test_restricted_text_appears_on_no_public_page(client):
    """Every restricted note and every restricted case's title and narrative stays hidden."""
    secrets = [r["restricted_notes"] for r in demo_case_records() if r.get("restricted_notes")]
    secrets += [r["title"] for r in restricted_demo()]
    secrets += [r["narrative"][:80] for r in restricted_demo()]
    assert len(secrets) >= 8
    pages = PUBLIC_PAGES + [f"/cases/{r['reference']}" for r in demo_case_records()]
    pages += [f"/cases?page={n}" for n in range(1, 5)]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        for secret in secrets:
            assert secret[:60] not in html, f"{path} shows restricted text"


def test_restricted_case_does_not_count_on_the_home_page(client, db):
    total = db.session.query(CaseStudy).filter_by(status="published", access_level="public").count()
    make_case(access_level="restricted")
    assert f"Browse {total} case studies" in client.get("/").get_data(as_text=True)


def test_unfiltered_list_shows_every_public_case_once(client):
    assert sorted(listed_references(client)) == sorted(r["reference"] for r in public_demo())


def expected(predicate):
    return sorted(r["reference"] for r in public_demo() if predicate(r))


def some_value(field):
    """A value of a demo field that selects some but not all public cases."""
    values = [r[field] for r in public_demo()]
    return max(set(values), key=values.count)


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("convention=MONTREAL", lambda r: "MONTREAL" in r["conventions"]),
        ("convention=cites", lambda r: "CITES" in r["conventions"]),
        ("hs=0507", lambda r: any(c.startswith("0507") for c in r["hs_codes"])),
        ("hs=290371", lambda r: "2903.71" in r["hs_codes"]),
        ("detection_method=xray_scanning", lambda r: r["detection_method"] == "xray_scanning"),
        ("prosecution_status=convicted", lambda r: r["prosecution_status"] == "convicted"),
        (
            "convention=CITES&detection_method=detector_dog",
            lambda r: "CITES" in r["conventions"] and r["detection_method"] == "detector_dog",
        ),
    ],
)
def test_filter_returns_exactly_the_matching_cases(client, query, predicate):
    wanted = expected(predicate)
    assert wanted, f"the demo data has no public case for {query}"
    assert sorted(listed_references(client, query)) == wanted


def test_country_and_year_filters(client):
    country = some_value("country")
    assert sorted(listed_references(client, f"country={country}")) == expected(
        lambda r: r["country"] == country
    )
    year = max(date.fromisoformat(r["seizure_date"]).year for r in public_demo())
    assert sorted(listed_references(client, f"year={year}")) == expected(
        lambda r: r["seizure_date"].startswith(str(year))
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=XX", "Country of seizure: “XX” is not a value we know"),
        ("year=abc", "Year of seizure: “abc” is not a value we know"),
        ("year=3000", "Year of seizure: “3000” is not a value we know"),
        ("hs=29x", "HS code or prefix: “29x” is not a value we know"),
        ("convention=NOPE", "Convention: “NOPE” is not a value we know"),
        ("detection_method=<script>", "Detection method: “&lt;script&gt;” is not a value we know"),
    ],
)
def test_bad_filter_value_is_reported_and_ignored(client, query, message):
    html = client.get(f"/cases?{query}").get_data(as_text=True)
    assert message in html
    assert "<script>" not in html
    assert f"{len(public_demo())} case studies" in html


def test_pagination_beyond_the_last_page_is_empty_not_an_error(client):
    assert client.get("/cases?page=999").status_code == 200
    assert client.get("/cases?page=-1").status_code == 200


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("2903.7", "2903.71"),
        ("290371", "2903.71"),
        ("ivory", "0507.10"),
        ("chlorodifluoro", "2903.71"),
    ],
)
def test_hs_lookup_by_prefix_or_words(client, query, code):
    assert f">{code}</a>" in client.get(f"/hs-codes?q={query}").get_data(as_text=True)


def test_hs_lookup_by_prefix_excludes_other_codes(client):
    html = client.get("/hs-codes?q=0507").get_data(as_text=True)
    assert ">0507.10</a>" in html and ">2903.71</a>" not in html


def test_home_counts_public_cases_by_convention(client, db):
    html = client.get("/").get_data(as_text=True)
    montreal = sum("MONTREAL" in r["conventions"] for r in public_demo())
    assert re.search(
        rf"Montreal Protocol</span>\s*<span class=\"count\">{montreal} case stud", html
    )


def test_case_page_shows_no_editorial_bookkeeping(client, db):
    case = make_case(restricted_notes="canary-notes-7781")
    html = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert case.title in html
    assert "canary-notes-7781" not in html


def test_published_case_appears_once_published(client, db):
    case = make_case(status="submitted")
    db.session.commit()  # a refused request (the 404 below) rolls back uncommitted work
    assert client.get(f"/cases/{case.reference}").status_code == 404
    move_case(case, "publish", access_level="public")
    db.session.flush()
    assert client.get(f"/cases/{case.reference}").status_code == 200
    stored = db.session.scalar(select(CaseStudy).filter_by(reference=case.reference))
    assert stored.is_public


@pytest.mark.parametrize("role", ["anonymous", "officer"])
@pytest.mark.parametrize(
    "path", ["/cases/CB%00X", "/restricted/cases/CB%00X", "/cases/%F0%9F%90%A2"]
)
def test_a_reference_with_odd_characters_is_simply_missing(auth, client, role, path):
    auth.login(role)
    assert client.get(path).status_code in (404, 302)
