"""Exports of the case lists and the search: exactly the filtered, faceted set on screen (every
page), public fields for the public, restricted fields for officers (audited), formulas
neutralised."""

import csv
import io
import json
import re

import pytest
from sqlalchemy import func, select

from casebank.models import AuditEvent, CaseStudy
from casebank.schemas.case_study import PUBLIC_CASE_FIELDS, RESTRICTED_CASE_FIELDS
from casebank.search import index_cases
from tests.factories import make_case

CARD_LINK = re.compile(r'class="case-card-title"><a href="/(?:restricted/)?cases/([^"]+)"')


def on_screen(client, path, args):
    """Every reference the list or search shows for args, page after page."""
    shown, page = [], 1
    while True:
        html = client.get(path, query_string={**args, "page": page}).get_data(as_text=True)
        found = CARD_LINK.findall(html)
        if not found or page > 60:
            return shown
        shown += found
        page += 1


def exported_json(client, path, args):
    response = client.get(path, query_string=args or None)
    assert response.status_code == 200, response.status_code
    return json.loads(response.get_data(as_text=True))


def exported_csv(client, path, args):
    response = client.get(path, query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


LIST_FILTERS = [
    {},
    {"convention": "CITES"},
    {"year": "2020"},
    {"country": "KE", "convention": "CITES"},
    {"detection_method": "xray_scanning"},
    {"convention": "MONTREAL", "prosecution_status": "convicted"},
]


@pytest.mark.parametrize("args", LIST_FILTERS)
def test_public_case_list_export_equals_every_page_of_the_list(client, args):
    shown = on_screen(client, "/cases", args)
    as_json = [row["reference"] for row in exported_json(client, "/cases/export.json", args)]
    as_csv = [row["reference"] for row in exported_csv(client, "/cases/export.csv", args)]
    assert as_json == shown
    assert as_csv == shown


@pytest.mark.parametrize("args", LIST_FILTERS)
def test_officer_case_list_export_equals_every_page_of_the_list(client, auth, args):
    auth.login("officer")
    shown = on_screen(client, "/restricted/cases", args)
    exported = exported_json(client, "/restricted/cases/export.json", args)
    assert [row["reference"] for row in exported] == shown


def test_the_whole_public_list_spans_several_pages_and_the_export_holds_them_all(client, db):
    public = db.session.scalar(
        select(func.count())
        .select_from(CaseStudy)
        .filter_by(access_level="public", status="published")
    )
    assert len(exported_json(client, "/cases/export.json", {})) == public
    assert len(on_screen(client, "/cases", {})) == public


SEARCHES = [
    {"q": "ivory"},
    {"q": "ivory", "kind": "case"},
    {"q": "container", "sort": "newest"},
    {"q": "cfc", "country": "SG"},
    {"convention": "CITES"},
    {"q": "pangolin OR ivory", "sort": "oldest"},
    {"q": "ozne"},  # the page shows the spelling correction's results: so does the export
]


@pytest.mark.parametrize("args", SEARCHES)
def test_search_export_equals_every_page_of_the_results(client, args):
    shown = on_screen(client, "/search", args)
    exported = exported_json(client, "/search/export.json", args)
    assert [row["reference"] for row in exported if row["kind"] == "case"] == shown
    assert all(row["url"].startswith("http") for row in exported)


@pytest.mark.parametrize("args", SEARCHES[:4])
def test_officer_search_export_equals_every_page_of_the_results(client, auth, args):
    auth.login("officer")
    shown = on_screen(client, "/search", args)
    exported = exported_json(client, "/search/export.json", args)
    assert [row["reference"] for row in exported if row["kind"] == "case"] == shown


def test_public_exports_hold_public_fields_only(client, db):
    restricted = db.session.scalars(select(CaseStudy).filter_by(access_level="restricted"))
    references = {case.reference for case in restricted}
    for path in ("/cases/export.json", "/search/export.json?convention=CITES"):
        rows = exported_json(client, path, {})
        cases = [row for row in rows if row.get("kind", "case") == "case"]
        assert cases
        assert not references & {row["reference"] for row in cases}
        for row in cases:
            assert set(row) - {"kind", "url"} <= set(PUBLIC_CASE_FIELDS)
            assert "restricted_notes" not in row
    header = client.get("/cases/export.csv").get_data(as_text=True).splitlines()[0]
    assert header.split(",") == list(PUBLIC_CASE_FIELDS)


def test_officers_exports_hold_restricted_fields_and_restricted_cases(client, auth, db):
    canary = make_case(access_level="restricted", restricted_notes="Canary note 7731")
    index_cases([canary.id])
    auth.login("officer")
    rows = exported_json(client, "/restricted/cases/export.json", {})
    assert set(rows[0]) == set(RESTRICTED_CASE_FIELDS)
    assert "Canary note 7731" in {row["restricted_notes"] for row in rows}
    found = exported_json(client, "/search/export.json", {"q": "ivory"})
    assert canary.reference in {row["reference"] for row in found}
    assert client.get("/restricted/cases/export.csv").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("role", ["anonymous", "partner", "expired_officer"])
def test_the_public_never_reaches_a_restricted_case_through_an_export(client, auth, db, role):
    canary = make_case(access_level="restricted", title="Canary export title 5521")
    index_cases([canary.id])
    auth.login(role)
    for path in ("/cases/export.csv", "/search/export.csv?q=ivory", "/search/export.json?q=5521"):
        assert "5521" not in client.get(path).get_data(as_text=True), path
    assert client.get("/restricted/cases/export.csv").status_code in (302, 404)


def test_officers_exports_are_audited_with_filters_and_count_never_the_words(client, auth, db):
    auth.login("officer")
    client.get("/restricted/cases/export.csv?convention=CITES")
    client.get("/search/export.json?q=secretword&kind=case")
    events = db.session.scalars(
        select(AuditEvent).filter_by(action="restricted.export").order_by(AuditEvent.id)
    ).all()
    assert [e.details["source"] for e in events] == ["case_list", "search"]
    assert events[0].details["filters"] == {"convention": "CITES"}
    assert events[0].details["count"] == len(
        exported_json(client, "/restricted/cases/export.json", {"convention": "CITES"})
    )
    assert events[1].details["facets"] == {"kind": "case"}
    assert "secretword" not in json.dumps([e.details for e in events])


def test_officers_exports_are_rate_limited(client, auth):
    auth.login("officer")
    answers = [client.get("/restricted/cases/export.json").status_code for _ in range(12)]
    assert answers[:10] == [200] * 10
    assert answers[-1] == 429


def test_formula_cells_are_neutralised(client, db):
    case = make_case(title='=HYPERLINK("http://evil.example")', place="+cmd")
    index_cases([case.id])
    rows = exported_csv(client, "/cases/export.csv", {"country": "KE"})
    row = next(r for r in rows if r["reference"] == case.reference)
    assert row["title"].startswith("'=")
    assert row["place"] == "'+cmd"


def test_an_unknown_format_or_a_bad_query_is_not_a_500(client):
    assert client.get("/cases/export.xml").status_code == 404
    assert client.get("/search/export.csv?q=" + "x" * 300).status_code == 400
    assert client.get("/cases/export.csv?year=abc").status_code == 200


def answer(client, path, **options):
    """The status of a request whose (streamed) body is read to the end."""
    response = client.get(path, **options)
    response.get_data()
    return response.status_code


def test_an_officers_export_limit_is_one_for_every_export_route(client, auth):
    # The restricted case list and the search (the restricted index, for an officer) both
    # export restricted fields: one allowance for both, or an officer gets twice the limit.
    auth.login("officer")
    answers = [answer(client, "/restricted/cases/export.json") for _ in range(10)]
    assert answers == [200] * 10
    assert answer(client, "/search/export.json?q=ivory") == 429


def test_an_officers_export_limit_follows_the_account_not_the_address(client, auth):
    auth.login("officer")
    for number in range(10):
        address = {"REMOTE_ADDR": f"198.51.100.{number + 1}"}
        assert answer(client, "/restricted/cases/export.json", environ_base=address) == 200
    address = {"REMOTE_ADDR": "203.0.113.9"}
    assert answer(client, "/restricted/cases/export.json", environ_base=address) == 429


@pytest.mark.parametrize("args", ["fmt=xml", "endpoint=x", "_anchor=x", "_external=1"])
@pytest.mark.parametrize("path", ["/cases?", "/search?q=ivory&"])
def test_an_argument_that_link_building_reserves_is_no_500_and_shapes_no_link(client, path, args):
    # The export and pagination links repeat the page's arguments: names that url_for reads
    # itself (the route's own, endpoint, _anchor, _external...) are not the page's.
    response = client.get(path + args)
    assert response.status_code == 200
    links = re.findall(r'href="([^"]*export\.(?:csv|json)[^"]*)"', response.get_data(as_text=True))
    assert links and all(link.startswith("/") and "#" not in link for link in links)


def test_a_reserved_argument_leaves_an_officers_pages_whole(client, auth):
    auth.login("officer")
    assert client.get("/restricted/cases?fmt=xml").status_code == 200
    page = client.get("/search?q=ivory&endpoint=x&_anchor=y").get_data(as_text=True)
    assert re.search(r'href="/saved-searches/new\?q=ivory"', page)
