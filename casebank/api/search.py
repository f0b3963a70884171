"""/api/v1/search: parse the request, call the search interface, serialise."""

from flask import jsonify, request

from casebank import search as case_search
from casebank.api import bp
from casebank.api.problems import Problem
from casebank.auth import permissions


@bp.get("/search")
def search():
    user = permissions.current_user()
    try:
        search_request = case_search.SearchRequest.from_args(request.args)
        results = case_search.search_for(user, search_request)
    except case_search.BadQuery as bad:
        raise Problem(400, str(bad), {"q": [str(bad)]}) from bad
    except case_search.SearchUnavailable as busy:
        raise Problem(503, "The search index is not ready; try again soon.") from busy
    response = jsonify(search_json(results))
    if permissions.can_search_restricted(user):
        response.headers["Cache-Control"] = "no-store"
    return response


def search_json(results):
    return {
        "query": results.request.text,
        "total": results.total,
        "page": results.request.page,
        "pages": results.pages,
        "notices": results.request.notices,
        "suggestion": results.suggestion,
        "corrected_from": results.corrected_from,  # these are the results for "query"
        "any_word": results.any_word,  # nothing held every word: these hold some
        "also_showing": [{"kind": e.kind, "value": e.value} for e in results.widened],
        "facets": {name: dict(counts) for name, counts in results.facets.items()},
        "hits": [
            {
                "kind": hit.kind,
                "reference": hit.reference,
                "title": hit.fields["title"],
                "highlight": str(hit.snippet),  # escaped text; <mark> is the only markup
                "country": hit.fields.get("seizing_country"),
                "date": hit.fields.get("date"),
                "language": hit.fields.get("language", "en"),
                "restricted": not hit.public,
                "url": case_search.url_of(hit),
            }
            for hit in results.hits
        ],
    }
