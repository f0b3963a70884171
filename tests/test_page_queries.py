"""The main pages load in a bounded number of queries: adding case studies (each with its own
conventions, partner and country) to a page adds no query (no lazy load per card).

The demo data fills the unfiltered pages, so the pages measured show only this module's case
studies: seized in 1999, with a word of their own."""

import re

import pytest

from tests.auth_actions import AuthActions
from tests.factories import make_case
from tests.query_counts import count_queries, statements_run

CONVENTIONS = ("CITES", "BASEL", "MONTREAL", "ROTTERDAM", "STOCKHOLM")
COUNTRIES = ("KE", "FR", "BR", "VN", "DE")
PARTNERS = ("WCO", "BRS", "OPCW", "INTERPOL", "TRAFFIC")


def add_cases(count, start=0):
    made = []
    for i in range(start, start + count):
        made.append(
            make_case(
                conventions=list(CONVENTIONS[i % 5 : i % 5 + 2]),
                country=COUNTRIES[i % 5],
                partner=PARTNERS[i % 5],
                access_level=("public", "restricted")[i % 2],
                restricted_notes="Notes for officers.",
                prosecution_status=("none", "convicted")[i % 2],
                seizure_date=f"1999-01-{i + 1:02d}",
                title=f"Quokkas number {i} found in a container",
            )
        )
    return made


PUBLIC_PAGES = ("/cases?year=1999", "/cases?year=1999&convention=BASEL", "/search?q=quokkas")
OFFICER_PAGES = ("/restricted/cases?year=1999", "/search?q=quokkas")


@pytest.mark.parametrize("role", ["anonymous", "officer"])
def test_case_lists_load_in_a_bounded_number_of_queries(app, client, db, role):
    if role == "officer":
        AuthActions(app, client).login("officer")
    pages = OFFICER_PAGES if role == "officer" else PUBLIC_PAGES

    def counts():
        db.session.expire_all()  # nothing already loaded may hide a query per row
        return {page: count_queries(db, lambda p=page: client.get(p)) for page in pages}

    add_cases(2)
    db.session.commit()  # here, so that the requests measured do not index the new cases
    counts()  # the first requests of a session also write the session registry
    few = counts()
    add_cases(8, start=2)
    db.session.commit()
    assert counts() == few


def test_a_case_page_loads_in_a_bounded_number_of_queries(app, client, db):
    officer = app.test_client()
    AuthActions(app, officer).login("officer")
    public_case, restricted_case = add_cases(2)
    pages = ((client, f"/cases/{public_case.reference}"),
             (officer, f"/restricted/cases/{restricted_case.reference}"))  # fmt: skip

    def counts():
        db.session.expire_all()
        return [count_queries(db, lambda c=c, p=p: c.get(p)) for c, p in pages]

    db.session.commit()
    counts()
    few = counts()
    add_cases(8, start=2)  # similar cases, shown under each
    db.session.commit()
    assert counts() == few


def test_the_apis_case_list_reads_whole_records_in_its_own_queries(client, db):
    """The API's list shows every public field; case cards leave the sealed text they do not
    show in the database, which the API must not then fetch one field of one case at a time."""
    add_cases(4)
    db.session.commit()
    db.session.expire_all()
    statements = statements_run(db, lambda: client.get("/api/v1/cases?year=1999"))
    one_field = re.compile(r"SELECT case_studies\.\w+ AS \w+\s+FROM case_studies\s+WHERE", re.I)
    assert not [s for s in statements if one_field.match(s.strip())]
