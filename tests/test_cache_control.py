"""Every Cache-Control header is well-formed: directives without values (no "private=True")."""

import pytest
from sqlalchemy import select

from casebank.models import CaseStudy


def directives(response):
    header = response.headers.get("Cache-Control", "")
    return {part.strip() for part in header.split(",") if part.strip()}


def assert_no_store(response):
    found = directives(response)
    assert "no-store" in found, response.headers.get("Cache-Control")
    assert not [d for d in found if "=" in d], response.headers.get("Cache-Control")


@pytest.mark.parametrize("path", ["/account/login", "/account/reset"])
def test_account_pages_are_private_and_not_stored(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_no_store(response)
    assert "private" in directives(response)


def test_a_failed_login_answer_is_not_stored(auth):
    response = auth.login("partner", password="Wrong-Password-123")
    assert_no_store(response)


def test_a_restricted_page_is_not_stored(auth, client, db):
    restricted = db.session.scalar(select(CaseStudy).filter_by(access_level="restricted"))
    auth.login("officer")
    assert_no_store(client.get(f"/restricted/cases/{restricted.reference}"))


@pytest.mark.parametrize("path", ["/account/", "/account/request-access"])
def test_casebanks_own_account_pages_are_not_stored(auth, client, path):
    auth.login("partner")
    response = client.get(path)
    assert response.status_code == 200
    assert_no_store(response)
