"""Full-text search over case studies and documents, behind a small interface (Whoosh today).

Views and commands use only what this module exports: search_for(user, request),
similar_cases(reference), index_cases(ids), rebuild(), check(), index_status(). Anonymous
visitors and partners search the public index, which holds public text only; officers search
the restricted index, and their searches are recorded.
"""

import hashlib
import hmac
import logging

from flask import g, has_request_context

from casebank.auth import permissions
from casebank.metrics import timed_search
from casebank.search.engine import PUBLIC, RESTRICTED, SearchUnavailable
from casebank.search.healing import heal
from casebank.search.links import url_of
from casebank.search.outbox import (
    apply_outbox,
    catch_up_if_due,
    check_index,
    rebuild,
    refuse_if_behind,
    search_indexes,
    search_session,
    write_entries,
)
from casebank.search.querying import (
    MAX_QUERY_LENGTH,
    BadQuery,
    SearchRequest,
    every_hit,
    matching_references,
    run_search,
)
from casebank.search.similar import more_like

log = logging.getLogger(__name__)

__all__ = [
    "MAX_QUERY_LENGTH",
    "BadQuery",
    "case_references_matching",
    "every_hit_for",
    "SearchRequest",
    "SearchUnavailable",
    "apply_outbox",
    "audience_of",
    "check_index",
    "index_case",
    "index_cases",
    "index_status",
    "public_index_state",
    "rebuild",
    "record_restricted_search",
    "remove_case",
    "search_failed",
    "search_for",
    "search_indexes",
    "similar_cases",
    "url_of",
]


def audience_of(user):
    return RESTRICTED if permissions.can_search_restricted(user) else PUBLIC


def record_restricted_search(user, request):
    """The one place restricted searches are recorded: the audit log.

    The words themselves are not stored (the audit log is not encrypted, and an officer may
    type restricted details such as a container number); a keyed fingerprint lets an
    investigator check whether a given query was run, without the log revealing it.
    """
    from flask import current_app

    from casebank.auth.audit_trail import audit_request

    key = current_app.config["SECRET_KEY"].encode()
    text = " ".join((request.text or "").lower().split())
    fingerprint = hmac.new(key, b"search:" + text.encode(), hashlib.sha256).hexdigest()
    audit_request(
        "restricted.search", actor=user, query_fingerprint=fingerprint,
        query_length=len(text), facets=dict(request.facets),
    )  # fmt: skip


def search_for(user, request):
    """Run request against the index this user may read."""
    audience = audience_of(user)
    with timed_search(audience):
        results = reading(audience, lambda searcher: run_search(searcher, request, audience))
    if audience == RESTRICTED:
        # After the search: the audit chain's lock is then held from here to the commit only.
        record_restricted_search(user, request)
    return results


def reading(audience, read):
    """read(searcher) on the live index; an index that is missing or fails while read (a
    deleted directory, a corrupt segment) raises SearchUnavailable and starts healing."""
    catch_up_if_due()
    try:
        refuse_if_behind()
        return read(search_indexes().searcher(audience))
    except BadQuery:
        raise
    except SearchUnavailable as error:
        note_failure()
        heal(str(error))
        raise
    except Exception as error:
        note_failure()
        log.exception("the %s search index failed while read", audience)
        heal(type(error).__name__)
        raise SearchUnavailable("the search index cannot be read") from error


def note_failure():
    if has_request_context():
        g.search_failed = True


def search_failed():
    """Whether this request met an index it could not read: its page says so (or leaves out
    similar cases), and is not kept for other visitors (page_cache) once the index reads."""
    return has_request_context() and g.get("search_failed", False)


def every_hit_for(user, request):
    """Every hit of request (all pages, in the page's order) in the index this user may read,
    as stored fields, with that index's audience (exports; the export records itself)."""
    audience = audience_of(user)
    return audience, reading(audience, lambda searcher: every_hit(searcher, request, audience))


def case_references_matching(user, text):
    """The references of the case studies whose text, in the index this user may read,
    matches text (the API's case list: q next to the site's filters). Raises BadQuery."""
    request = SearchRequest()
    request.text = request.clean(text)
    audience = audience_of(user)
    if audience == RESTRICTED:
        record_restricted_search(user, request)
    return reading(audience, lambda searcher: matching_references(searcher, request))


def similar_cases(case_id, top=5):
    """Public case studies like a public one ("more like this" on the public case page)."""
    from casebank.search.entries import case_key

    try:
        return reading(PUBLIC, lambda searcher: more_like(searcher, case_key(case_id), top))
    except SearchUnavailable:
        return []


def public_index_state():
    """What names the public index this host reads now (after catching up with the feed), or
    None when it cannot be read: part of the key of pages kept for visitors (page_cache)."""
    try:
        return reading(PUBLIC, lambda searcher: (searcher.index_id, searcher.reader().generation()))
    except SearchUnavailable:
        return None


def index_case(case):
    index_cases([case.id])


def remove_case(case_id):
    """Remove a case study from both indexes (it is gone, or no longer searchable)."""
    index_cases([case_id])


def index_cases(ids):
    """Bring both indexes in line with the current state of these case studies now (each is
    written, rewritten or removed as the database says)."""
    indexes = search_indexes()
    with search_session() as session, indexes.writers() as writers:
        write_entries(session, writers, list(ids))


def index_status(app=None):
    """What /healthz reports about the search indexes."""
    return search_indexes(app).status()
