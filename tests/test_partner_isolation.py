"""A partner sees its own organisation's case studies in every status, and nothing unpublished
of another organisation: not by list, reference (guessed or known), search, API or export.
Every refusal is a 404, the same as for a case that does not exist."""

import re

import pytest

from casebank.services.case_transfer import export_records
from tests.case_pages_helpers import post_from
from tests.factories import join_partner, make_case, make_partner_user

UNPUBLISHED = ["draft", "submitted", "in_review", "changes_requested", "rejected", "withdrawn"]
WORD = "okapiquill"


@pytest.fixture
def other_case(db):
    """A case study of another organisation (WCO), unpublished, with a searchable word."""
    make_partner_user("wco@partner.example.org", "WCO")
    return make_case(status="submitted", partner="WCO", title=f"The {WORD} shipment")


def partner_pages(case):
    base = f"/partner/cases/{case.reference}"
    return [base, f"{base}/edit", f"{base}/compare?from=1&to=1"]


@pytest.mark.parametrize("status", UNPUBLISHED + ["published"])
def test_a_partner_sees_its_own_case_in_every_status(auth, client, status):
    join_partner("TRAFFIC")
    case = make_case(status=status, partner="TRAFFIC", title=f"Own case {status}")
    auth.login("partner")
    assert case.reference in client.get("/partner/cases").get_data(as_text=True)
    assert client.get(f"/partner/cases/{case.reference}").status_code == 200


@pytest.mark.parametrize("status", UNPUBLISHED + ["published"])
def test_another_organisations_case_is_missing_by_reference(auth, client, status):
    join_partner("TRAFFIC")
    case = make_case(status=status, partner="WCO", title=f"The {WORD} shipment")
    missing = client.get("/partner/cases/CB-1999-NOPE")
    auth.login("partner")
    for page in partner_pages(case):
        response = client.get(page)
        assert response.status_code == 404, page
        assert WORD not in response.get_data(as_text=True)
    assert without_csrf_token(client.get("/partner/cases/CB-1999-NOPE")) == without_csrf_token(
        client.get(f"/partner/cases/{case.reference}")
    )
    assert missing.status_code in (302, 404)


def test_another_organisations_case_cannot_be_changed_or_discussed(auth, client, other_case):
    join_partner("TRAFFIC")
    auth.login("partner")
    base = f"/partner/cases/{other_case.reference}"
    for action, data in (
        (f"{base}/edit", {"title": "Overwritten"}),
        (f"{base}/transition", {"transition": "withdraw", "reason": "Mine now."}),
        (f"{base}/messages", {"body": "Hello from another organisation."}),
    ):
        assert post_from(client, "/partner/cases", action, data).status_code == 404
    assert other_case.status == "submitted" and other_case.title == f"The {WORD} shipment"


def test_another_organisations_case_is_not_listed_searched_or_exported(
    auth, client, db, other_case
):
    join_partner("TRAFFIC")
    auth.login("partner")
    assert other_case.reference not in client.get("/partner/cases").get_data(as_text=True)
    db.session.commit()  # the index follows commits: were it to index the case, it would now
    found = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert other_case.reference not in found and f"The {WORD} shipment" not in found
    assert client.get(f"/api/v1/search?q={WORD}").get_json()["total"] == 0
    assert client.get(f"/cases/{other_case.reference}").status_code == 404
    exported = str(export_records(public_only=True))
    assert WORD not in exported and other_case.reference not in exported


def test_a_partner_without_an_organisation_sees_no_case(auth, client, other_case):
    make_case(status="draft", partner=None, title="Secretariat's own draft")
    auth.login("partner")
    html = client.get("/partner/cases").get_data(as_text=True)
    assert "Secretariat" not in html and other_case.reference not in html
    assert client.get(f"/partner/cases/{other_case.reference}").status_code == 404


def test_partners_and_officers_do_not_reach_the_editorial_pages(auth, client, other_case):
    join_partner("WCO")
    for role in ("partner", "officer"):
        auth.login(role)
        assert client.get(f"/editorial/cases/{other_case.reference}").status_code == 404
        assert client.get("/editorial/cases").status_code == 404
        auth.logout()


def test_a_reference_with_a_nul_character_is_simply_missing(auth, client):
    join_partner("TRAFFIC")
    auth.login("partner")
    assert client.get("/partner/cases/CB%00X").status_code == 404


def without_csrf_token(response):
    """The page without its CSRF token, which carries the second it was made in."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
