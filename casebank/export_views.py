"""The case lists' and the search's exports as HTTP responses, shared by the public and the
restricted blueprints: parse the same arguments as the page, ask services.exports, stream."""

from flask import Response, abort, request, stream_with_context

from casebank import search as case_search
from casebank.auth import permissions
from casebank.auth.audit_trail import audit_request
from casebank.client_address import current_client
from casebank.downloads import content_disposition
from casebank.search.links import url_of
from casebank.search.querying import Hit
from casebank.services import catalogue, exports

# Exports read every page at once: fewer of them than of pages, and fewer still of officers'.
PUBLIC_EXPORTS = "30 per hour"
OFFICER_EXPORTS = "10 per hour"


def export_limit():
    """Flask-Limiter's limit for an export route, by who asks (officers' exports are rarer)."""
    return OFFICER_EXPORTS if permissions.is_officer(permissions.current_user()) else PUBLIC_EXPORTS


def exporter():
    """Whom the export limit counts: a member by account (a new address is no new allowance),
    a visitor by client address. Every export route shares one count (EXPORTS_SCOPE)."""
    user = permissions.current_user()
    return f"user:{user.id}" if user.is_authenticated else current_client()


EXPORTS_SCOPE = "exports"


def stream(rows, columns, fmt, name, officer):
    response = Response(
        stream_with_context(exports.render(rows, columns, fmt)), mimetype=exports.FORMATS[fmt]
    )
    response.headers["Content-Disposition"] = content_disposition(f"{name}.{fmt}")
    response.headers["Cache-Control"] = "no-store" if officer else "private"
    return response


def checked_format(fmt):
    if fmt not in exports.FORMATS:
        abort(404)
    return fmt


def case_list_export(fmt, officer):
    """Every case study the case list shows for the request's filters (all its pages)."""
    checked_format(fmt)
    filters = catalogue.CaseFilters.from_args(request.args)
    references = exports.listed_references(filters, officer)
    if officer:
        audit_request(
            "restricted.export", source="case_list", format=fmt,
            filters=filters.active(), count=len(references),
        )  # fmt: skip
    rows = exports.case_records(references, officer)
    name = "casebank-restricted-cases" if officer else "casebank-cases"
    return stream(rows, exports.case_fields(officer), fmt, name, officer)


def search_export(fmt):
    """Every hit the search page shows for the request (all its pages), from the index the
    reader may read: officers' exports hold restricted fields and are audited (facets, sort
    and count; never the words)."""
    checked_format(fmt)
    user = permissions.current_user()
    try:
        search_request = case_search.SearchRequest.from_args(request.args)
        hits, audience = [], case_search.audience_of(user)
        if search_request.text or search_request.facets:
            audience, hits = case_search.every_hit_for(user, search_request)
    except case_search.BadQuery:
        abort(400)
    except case_search.SearchUnavailable:
        abort(503)
    officer = audience == case_search.RESTRICTED
    if officer:
        audit_request(
            "restricted.export", source="search", format=fmt, facets=dict(search_request.facets),
            sort=search_request.sort, count=len(hits),
        )  # fmt: skip
    site = request.host_url.rstrip("/")
    rows = exports.search_rows(hits, officer, lambda hit: site + url_of(as_hit(hit, audience)))
    columns = exports.HIT_COLUMNS + exports.case_fields(officer)
    name = "casebank-restricted-search" if officer else "casebank-search"
    return stream(rows, columns, fmt, name, officer)


def as_hit(fields, audience):
    public = audience != case_search.RESTRICTED or fields.get("access") == "public"
    return Hit(fields["kind"], fields["reference"], "", "", fields, public)
