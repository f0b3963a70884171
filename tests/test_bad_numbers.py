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
