"""Restricted text reaches officers and nobody else: not in any page, header or error page
that an anonymous visitor, a partner, an editor or an officer whose vetting expired can reach."""

import pytest
from flask import url_for

from tests.auth_actions import ROLES
from tests.factories import canary_cases

CANARY_NOTES = "canary-notes-quetzal-8812"
CANARY_CASE = "canary-narrative-okapi-4471"
NOT_CLEARED = [r for r in ROLES if r != "officer"]


@pytest.fixture
def canaries(db):
    return canary_cases(CANARY_NOTES, CANARY_CASE)


def reachable_pages(app, public, restricted):
    with app.test_request_context():
        pages = [
            url_for(e)
            for e in (
                "public.home",
                "public.case_list",
                "public.about",
                "restricted.home",
                "restricted.case_list",
                "account.profile",
            )
        ]
        for case in (public, restricted):
            pages.append(url_for("public.case_detail", reference=case.reference))
            pages.append(url_for("restricted.case_detail", reference=case.reference))
    pages += ["/cases?page=1&country=KE", "/no-such-page", "/healthz"]
    return pages  # fmt: skip


@pytest.mark.parametrize("role", NOT_CLEARED)
def test_no_restricted_text_for_those_not_cleared(app, client, auth, canaries, role):
    auth.login(role)
    for path in reachable_pages(app, *canaries):
        response = client.get(path)
        seen = response.get_data(as_text=True) + str(response.headers)
        assert CANARY_NOTES not in seen, (role, path)
        assert CANARY_CASE not in seen, (role, path)


def test_officer_sees_the_restricted_text(app, client, auth, canaries):
    public, restricted = canaries
    auth.login("officer")
    notes = client.get(f"/restricted/cases/{public.reference}").get_data(as_text=True)
    assert CANARY_NOTES in notes
    case = client.get(f"/restricted/cases/{restricted.reference}").get_data(as_text=True)
    assert CANARY_CASE in case and CANARY_NOTES in case
    listing = client.get("/restricted/cases?country=KE").get_data(as_text=True)
    assert CANARY_CASE in listing
