"""Numbers out of any database's range in a path or a page number: 404 or 400, never 500."""

import re

import pytest
from werkzeug.routing import IntegerConverter

from tests.auth_actions import ROLES

HUGE = [2**31, 2**63, 2**64, 10**20]


def int_routes(app):
    """(path template, method) of every route with an integer in its path."""
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if any(isinstance(c, IntegerConverter) for c in rule._converters.values())
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


def test_there_are_integer_routes_to_check(app):
    assert len(int_routes(app)) >= 10


@pytest.mark.parametrize("role", ROLES)
def test_an_id_out_of_range_is_not_found(app, auth, client, role):
    auth.login(role)
    for template, method in int_routes(app):
        for number in HUGE:
            url = re.sub(r"<int:\w+>", str(number), template)
            response = client.open(url, method=method)
            assert response.status_code == 404, (url, method, role, response.status_code)


PAGED = [
    ("anonymous", "/cases"),
    ("officer", "/cases"),
    ("officer", "/restricted/cases"),
    ("admin", "/admin/audit"),
    ("anonymous", "/search?q=ivory"),
    ("officer", "/search?q=ivory"),
    ("partner", "/search?q=ivory"),
    ("anonymous", "/api/v1/search?q=ivory"),
    ("officer", "/api/v1/search?q=ivory"),
]


@pytest.mark.parametrize(("role", "path"), PAGED)
def test_a_page_out_of_range_is_a_bad_request(auth, client, role, path):
    auth.login(role)
    for number in [2**63, 2**64, 10**20]:
        url = f"{path}{'&' if '?' in path else '?'}page={number}"
        response = client.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert "page" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize(("role", "path"), PAGED)
def test_a_page_that_is_no_number_shows_the_first_page(auth, client, role, path):
    auth.login(role)
    for value in ["", "abc", "-1", "0", "1.5"]:
        url = f"{path}{'&' if '?' in path else '?'}page={value}"
        assert client.get(url).status_code == 200, url


def test_numbers_out_of_range_in_the_case_pages_forms_and_queries(auth, client, db):
    """Revision numbers in compare links, the version a form carries and the editor to assign:
    a number no row can have is a missing revision, a stale version or no such editor."""
    from tests.case_pages_helpers import post_from
    from tests.factories import join_partner, make_case

    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC")
    db.session.commit()
    auth.login("partner")
    for number in HUGE + [-(2**64)]:
        for side in ("from", "to"):
            url = f"/partner/cases/{case.reference}/compare?{side}={number}"
            assert client.get(url).status_code == 200, url
    auth.logout()
    auth.login("editor")
    page = f"/editorial/cases/{case.reference}"
    for number in [*HUGE, 2**31 - 1]:  # the last: an id a row can have, but none has
        url = f"{page}/compare?from={number}"
        assert client.get(url).status_code == 200, url
        response = post_from(client, page, f"{page}/assign", {"editor_id": str(number)})
        assert response.status_code == 400, number
        response = post_from(client, page, f"{page}/revisions/1/restore", {"version": number})
        assert response.status_code == 302, number
        assert "changed since you opened it" in client.get(page).get_data(as_text=True)
        response = post_from(client, page, page, {"title": "Overwritten", "version": number})
        assert response.status_code == 409, number
    assert case.assigned_editor is None and case.title != "Overwritten" and case.version == 1
