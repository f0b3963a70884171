"""Shared helpers of the search tests: run a search as a given user, an officer to pretend to be."""

from flask_security.core import AnonymousUser
from werkzeug.datastructures import MultiDict

from casebank.auth import permissions
from casebank.search import SearchRequest, search_for
from casebank.services import accounts
from tests.auth_actions import ROLE_USERS


def Officer():  # noqa: N802 - reads like the class it replaced
    """The suite's vetted enforcement officer (a real account, 2FA enrolled)."""
    return accounts.find_user(ROLE_USERS["officer"][0])


def search(q="", user=None, **args):
    request = SearchRequest.from_args(MultiDict({"q": q, **args}))
    return search_for(user or AnonymousUser(), request)


def references(results):
    return [hit.reference for hit in results.hits]


def as_officer(monkeypatch):
    officer = Officer()
    monkeypatch.setattr(permissions, "current_user", lambda: officer)
    return officer
