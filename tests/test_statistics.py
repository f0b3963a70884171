"""Statistics: hand-counted demo data, filters on every table, canaries (no restricted or
unpublished case study changes a public number), charts as isolated SVG, CSV beside each."""

import csv
import io

import pytest

from casebank.search import index_cases
from tests.factories import make_case

# Hand-counted in casebank/data/demo/case_studies.json: the 32 published public case studies.
PUBLIC_BY_YEAR = {"2015": 4, "2016": 1, "2017": 3, "2018": 1, "2019": 6, "2020": 6, "2021": 1,
                  "2022": 7, "2023": 2, "2024": 1}  # fmt: skip
PUBLIC_BY_CONVENTION = {"CITES": 12, "MONTREAL": 7, "ROTTERDAM": 4, "BASEL": 4, "STOCKHOLM": 2,
                        "CARTAGENA": 2, "CWC": 2}  # fmt: skip
CITES_BY_YEAR = {"2015": 3, "2016": 1, "2017": 0, "2018": 0, "2019": 3, "2020": 2, "2021": 0,
                 "2022": 1, "2023": 2}  # fmt: skip
FINE_CURRENCIES = ["CNY", "GBP", "IDR", "PLN", "SEK"]
COUNT_TABLES = ("year", "country", "detection_method", "transport_mode", "commodity_category",
                "prosecution_status")  # fmt: skip


def tables(client, path="/statistics.json", **args):
    response = client.get(path, query_string=args or None)
    assert response.status_code == 200
    return response.get_json()["tables"]


def counts(table):
    return {row["key"]: row["values"][0] for row in table["rows"]}


def test_public_numbers_match_the_hand_counted_demo_data(client):
    found = tables(client)
    assert counts(found["year"]) == PUBLIC_BY_YEAR
    assert counts(found["convention"]) == PUBLIC_BY_CONVENTION
    assert counts(found["country"])["US"] == 5 and counts(found["country"])["CN"] == 3
    assert [row["key"] for row in found["fines"]["rows"]] == FINE_CURRENCIES
    assert sum(counts(found["custodial"]).values()) == 6
    assert found["decision"]["rows"] and sum(counts(found["decision"]).values()) <= 9


def test_a_filter_applies_to_every_table_at_once(client):
    found = tables(client, convention="CITES")
    assert counts(found["year"]) == CITES_BY_YEAR
    for name in COUNT_TABLES:
        assert sum(counts(found[name]).values()) == 12, name
    assert counts(found["convention"])["CITES"] == 12


@pytest.mark.parametrize("args", [
    {"year_from": "2019", "year_to": "2020"},
    {"region": "asia"},
    {"commodity": "animal_products"},
    {"convention": "MONTREAL", "region": "europe"},
])  # fmt: skip
def test_every_count_table_adds_up_to_the_same_filtered_total(client, args):
    found = tables(client, **args)
    totals = {name: sum(counts(found[name]).values()) for name in COUNT_TABLES}
    assert len(set(totals.values())) == 1, totals
    assert 0 < totals["year"] < 32


def test_years_filter_bounds_the_years(client):
    found = tables(client, year_from="2019", year_to="2020")
    assert counts(found["year"]) == {"2019": 6, "2020": 6}


def test_a_restricted_canary_changes_no_public_number(client, auth, db):
    before = tables(client)
    canary = make_case(access_level="restricted", country="IS", seizure_date="1999-05-05",
                       fine_amount="99", fine_currency="ISK", custodial_months=77,
                       prosecution_status="convicted", decision_date="2000-01-01")  # fmt: skip
    draft = make_case(status="draft", country="FJ", seizure_date="1998-05-05")
    index_cases([canary.id, draft.id])
    assert tables(client) == before
    for args in ({"region": "europe"}, {"year_from": "1999", "year_to": "1999"}):
        assert tables(client, **args) == tables(client, **args)
        assert "IS" not in counts(tables(client, **args)["country"])
    for name in ("year", "country", "fines"):
        csv_text = client.get(f"/statistics/{name}.csv").get_data(as_text=True)
        assert "1999" not in csv_text and "Iceland" not in csv_text and "ISK" not in csv_text
    page = client.get("/statistics?year_from=1999&year_to=1999").get_data(as_text=True)
    assert "Iceland" not in page and "ISK" not in page
    assert b"Iceland" not in client.get("/statistics/country.svg").data
    auth.login("officer")
    officer = tables(client, "/restricted/statistics.json")
    assert counts(officer["country"])["IS"] == 1
    assert counts(officer["year"])["1999"] == 1
    assert "ISK" in [row["key"] for row in officer["fines"]["rows"]]
    assert "FJ" not in counts(officer["country"])  # a draft counts for nobody


def test_charts_are_svg_images_with_their_own_strict_policy(client):
    for name in ("year", "convention", "country", "detection_method", "custodial", "decision"):
        response = client.get(f"/statistics/{name}.svg?convention=CITES")
        assert response.status_code == 200, name
        assert response.mimetype == "image/svg+xml"
        assert response.headers["Content-Security-Policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; sandbox"
        )
        assert b"<script" not in response.data and b"http://kozea" not in response.data
    assert client.get("/statistics/fines.svg").status_code == 404  # a table without a chart
    assert client.get("/statistics/nothing.svg").status_code == 404


def test_each_table_downloads_as_the_csv_of_what_it_shows(client):
    found = tables(client, region="asia")
    rows = list(csv.reader(io.StringIO(
        client.get("/statistics/year.csv?region=asia").get_data(as_text=True))))  # fmt: skip
    assert rows[0] == ["Code", "Year", "Case studies"]
    assert {row[0]: int(row[2]) for row in rows[1:]} == counts(found["year"])
    assert client.get("/statistics/nothing.csv").status_code == 404


def test_fines_are_listed_per_currency_never_converted(client, db):
    for amount, currency in (("100", "EUR"), ("250.5", "EUR"), ("1000", "USD")):
        make_case(prosecution_status="convicted", fine_amount=amount, fine_currency=currency,
                  decision_date="2021-06-04", court="A court")  # fmt: skip
    rows = {row["key"]: row["values"] for row in tables(client)["fines"]["rows"]}
    assert rows["EUR"] == [2, "350.5", "175.25", "250.5"]
    assert rows["USD"] == [1, "1000", "1000", "1000"]


def test_the_statistics_page_shows_each_chart_beside_its_table_with_filters_kept(client):
    page = client.get("/statistics?convention=CITES&region=asia").get_data(as_text=True)
    assert 'src="/statistics/year.svg?convention=CITES&amp;region=asia"' in page
    assert 'href="/statistics/year.csv?convention=CITES&amp;region=asia"' in page
    assert page.count('<table class="data-table">') == 10
    assert "style=" not in page


def test_bad_filters_are_said_and_ignored(client):
    response = client.get("/statistics?year_from=abc&region=mars&convention=NOPE&commodity=x")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("that filter was ignored") == 4
    assert counts(tables(client, year_from="abc")["year"]) == PUBLIC_BY_YEAR


def test_officers_statistics_are_audited_with_their_filters(client, auth, db):
    from sqlalchemy import select

    from casebank.models import AuditEvent

    auth.login("officer")
    client.get("/restricted/statistics?convention=CITES")
    event = db.session.scalar(select(AuditEvent).filter_by(action="restricted.statistics"))
    assert event.details["filters"] == {"convention": "CITES"}
