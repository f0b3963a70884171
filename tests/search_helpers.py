"""Shared helpers of the search tests: run a search as a given user, an officer to pretend to be,
an index of several segments with deletions to check the engine's shortcuts against Whoosh."""

from contextlib import contextmanager

from flask_security.core import AnonymousUser
from werkzeug.datastructures import MultiDict

from casebank.auth import permissions
from casebank.crypto import new_master_key
from casebank.search import SearchRequest, search_for
from casebank.search.engine import PUBLIC, SearchIndexes
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


@contextmanager
def segmented_index(folder, document, per_segment, deleted_from_second):
    """A searcher of a public index of three segments with deletions: every seventh document
    of the first segment and the first deleted_from_second of the second. document(batch, n)
    gives the fields of document n of segment batch, which is keyed case:{batch}-{n}."""
    indexes = SearchIndexes(folder, new_master_key())
    indexes.swap(indexes.new_generation())
    for batch in range(3):  # three commits without merging: three segments
        with indexes.writers(merge=False) as writers:
            for n in range(per_segment):
                writers[PUBLIC].add_document(key=f"case:{batch}-{n}", **document(batch, n))
    with indexes.writers(merge=False) as writers:
        for n in range(0, per_segment, 7):  # scattered deletions in one segment
            writers[PUBLIC].delete_by_term("key", f"case:0-{n}")
        for n in range(deleted_from_second):  # and many, in a row, in another
            writers[PUBLIC].delete_by_term("key", f"case:1-{n}")
    searcher = indexes.searcher(PUBLIC)
    assert len(searcher.reader().leaf_readers()) >= 3 and searcher.reader().has_deletions()
    try:
        yield searcher
    finally:
        indexes.close()
