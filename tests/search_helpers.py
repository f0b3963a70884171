"""Shared helpers of the search tests: run a search as a given user, an officer to pretend to be."""

from werkzeug.datastructures import MultiDict

from casebank.auth import permissions
from casebank.search import SearchRequest, search_for


class Officer:
    """Stands in for a logged-in, vetted enforcement officer until accounts exist."""

    is_authenticated = True
    id = "officer-test"

    def has_role(self, role):
        return role == "officer"


def search(q="", user=None, **args):
    request = SearchRequest.from_args(MultiDict({"q": q, **args}))
    return search_for(user or permissions.ANONYMOUS, request)


def references(results):
    return [hit.reference for hit in results.hits]


def as_officer(monkeypatch):
    officer = Officer()
    monkeypatch.setattr(permissions, "current_user", lambda: officer)
    return officer
