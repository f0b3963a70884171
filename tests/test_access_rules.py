"""The access matrix: every route of the app, for every role, answers as declared.

A route without a declared rule in auth/permissions.py fails test_every_route_declares_a_rule.
Roles beyond anonymous arrive with accounts; the matrix grows a column for each.
"""

import pytest
from flask import Flask

from casebank.auth import permissions
from casebank.auth.permissions import ENDPOINT_RULES, anyone

# Concrete URLs for routes with arguments; a new route with arguments must add one here.
EXAMPLE_ARGS = {
    "static": {"filename": "css/site.css"},
    "public.case_detail": {"reference": "__public_case__"},
}
ROLES = ["anonymous"]


def routes(app: Flask):
    return sorted(
        (rule.endpoint, method, rule)
        for rule in app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


def test_every_route_declares_a_rule(app):
    undeclared = {endpoint for endpoint, _, _ in routes(app)} - set(ENDPOINT_RULES)
    assert not undeclared, f"routes without an access rule: {sorted(undeclared)}"


def test_no_rule_is_declared_for_a_route_that_does_not_exist(app):
    assert set(ENDPOINT_RULES) <= {endpoint for endpoint, _, _ in routes(app)}


def expected_status(endpoint, role):
    return 200 if ENDPOINT_RULES[endpoint] is anyone else 404


@pytest.mark.parametrize("role", ROLES)
def test_matrix(app, client, role):
    public_case = next(r for r in _demo() if r["access_level"] == "public")["reference"]
    checked = 0
    with app.test_request_context():
        from flask import url_for

        for endpoint, method, _ in routes(app):
            args = {
                k: public_case if v == "__public_case__" else v
                for k, v in EXAMPLE_ARGS.get(endpoint, {}).items()
            }
            url = url_for(endpoint, **args)
            response = client.open(url, method=method)
            response.close()
            assert response.status_code == expected_status(endpoint, role), (endpoint, role)
            checked += 1
    assert checked == len(routes(app))


def test_undeclared_endpoint_is_denied(app, client, monkeypatch):
    monkeypatch.delitem(permissions.ENDPOINT_RULES, "public.about")
    assert client.get("/about").status_code == 404


def test_restricted_area_is_not_found_for_the_public(client):
    assert client.get("/restricted/").status_code == 404


def _demo():
    from casebank.services.demo import demo_case_records

    return demo_case_records()
