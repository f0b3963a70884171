"""Views of the public catalogue: parse the request, ask the catalogue service, render."""

from urllib.parse import urlsplit, urlunsplit

from flask import abort, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from casebank import export_views, feeds, i18n, statistics_views
from casebank import search as case_search
from casebank.auth import enrolment, permissions
from casebank.downloads import file_response
from casebank.extensions import limiter
from casebank.page_cache import kept_for_visitors
from casebank.public import bp
from casebank.request_numbers import page_number
from casebank.schemas.case_study import PUBLIC_CASE_FIELDS, CaseStudySchema
from casebank.services import accounts, catalogue, documents
from casebank.services.awards import publicity
from casebank.services.case_transfer import case_record
from casebank.services.cases import revisions
from casebank.services.documents import PUBLIC

public_case_schema = CaseStudySchema(only=PUBLIC_CASE_FIELDS)


@bp.get("/")
@kept_for_visitors
def home():
    return render_template(
        "public/home.html",
        latest=catalogue.latest_public_cases(),
        winners=publicity.latest_winners(),
        featured=publicity.featured_cases(),
        convention_counts=catalogue.convention_counts(),
        total=catalogue.count_cases(),
    )


@bp.get("/cases")
@kept_for_visitors
def case_list():
    filters = catalogue.CaseFilters.from_args(request.args)
    page = page_number(request.args)
    pagination = catalogue.list_cases(filters, page, current_app.config["CASES_PER_PAGE"])
    return render_template(
        "public/case_list.html",
        pagination=pagination,
        filters=filters,
        options=catalogue.filter_options(),
    )


@bp.get("/cases/<reference>")
@kept_for_visitors
def case_detail(reference):
    case = catalogue.get_case(reference) or abort(404)
    # The template gets the public fields only, so it cannot show restricted text by mistake.
    return render_template(
        "public/case_detail.html",
        case=public_case_schema.dump(case_record(case)),
        case_language=case.language,
        published_at=case.published_at,
        last_updated_at=revisions.edited_after_publication(case),
        conventions={c.code: c for c in case.conventions},
        hs_codes={h.code: h for h in case.hs_codes},
        partner=case.partner,
        similar=case_search.similar_cases(case.id),
        sharing=sharing_metadata(case),
    )


def sharing_metadata(case):
    """OpenGraph and schema.org data of a public case page, from its public fields only."""
    face = public_case_schema.dump(case_record(case))
    url = url_for("public.case_detail", reference=case.reference, _external=True)
    return {
        "title": face["title"],
        "description": face["summary"],
        "url": url,
        "json_ld": {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": face["title"],
            "description": face["summary"],
            "url": url,
            "identifier": case.reference,
            "inLanguage": str(case.language),
            "datePublished": case.published_at.date().isoformat() if case.published_at else None,
            "publisher": {"@type": "Organization", "name": "casebank"},
        },
    }


@bp.get("/conventions")
@kept_for_visitors
def conventions():
    return render_template(
        "public/conventions.html", convention_counts=catalogue.convention_counts()
    )


@bp.get("/hs-codes")
@kept_for_visitors
def hs_codes():
    query = request.args.get("q", "")
    return render_template(
        "public/hs_codes.html", query=query[:100], hs_codes=catalogue.lookup_hs_codes(query)
    )


@bp.get("/about")
@kept_for_visitors
def about():
    return render_template("public/about.html")


@bp.get("/documents")
@kept_for_visitors
def document_list():
    filters = documents.DocumentFilters.from_args(request.args)
    filters.access_level = None  # the public list shows public documents only, whatever asked
    return render_template(
        "public/documents.html",
        documents=documents.list_documents(PUBLIC, filters),
        filters=filters,
        options=documents.filter_options(PUBLIC),
    )


@bp.get("/documents/<int:document_id>/download")
def document_download(document_id):
    # Restricted and draft documents answer 404 here, for everyone, like missing ones.
    return file_response(documents.get_document(document_id, PUBLIC) or abort(404))


@bp.get("/search")
@kept_for_visitors
def search():
    user = permissions.current_user()
    results, error = None, None
    try:
        search_request = case_search.SearchRequest.from_args(request.args)
        if search_request.text or search_request.facets:
            results = case_search.search_for(user, search_request)
    except case_search.BadQuery as bad:
        error = str(bad)
    except case_search.SearchUnavailable:
        error = _("Search is not available right now (its index is being built); try again soon.")
    response = make_response(
        render_template(
            "public/search.html",
            results=results,
            error=error,
            query=(request.args.get("q") or "")[: case_search.MAX_QUERY_LENGTH],
            conventions={c.code: c.translated_short_name for c in catalogue.all_conventions()},
            url_of=case_search.url_of,
        )
    )
    if permissions.can_search_restricted(user):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/language/<code>")
def set_language(code):
    """The header's switcher: remember the language, go back to the page it was chosen on
    (the Referer, which the browser sends for this site's own pages, so every page's
    switcher links are the same and a 404 page cannot tell what was asked for)."""
    if code not in i18n.LANGUAGES:
        abort(404)
    accounts.remember_language(permissions.current_user(), code)
    return i18n.remember_language(redirect(same_site_referrer()), code)


def same_site_referrer():
    """The Referer's path and query when it is a page of this site. The path alone is checked
    too: this site's own 404 page at //evil.example/ would otherwise send the reader there."""
    came_from = urlsplit(request.referrer or "")
    back = urlunsplit(("", "", came_from.path, came_from.query, ""))
    if came_from.netloc != request.host or not enrolment.checked_destination(back):
        return url_for("public.home")
    return back


# Exports of exactly what the case list and the search show (casebank/export_views.py).
@bp.get("/cases/export.<fmt>")
@limiter.shared_limit(
    export_views.export_limit, export_views.EXPORTS_SCOPE, key_func=export_views.exporter
)
def case_list_export(fmt):
    return export_views.case_list_export(fmt, officer=False)


@bp.get("/search/export.<fmt>")
@limiter.shared_limit(
    export_views.export_limit, export_views.EXPORTS_SCOPE, key_func=export_views.exporter
)
def search_export(fmt):
    return export_views.search_export(fmt)


# Statistics of the published public case studies (casebank/statistics_views.py).
@bp.get("/statistics")
@kept_for_visitors
def statistics():
    return statistics_views.page(officer=False)


@bp.get("/statistics/<name>.svg")
def statistics_chart(name):
    return statistics_views.chart(name, officer=False)


@bp.get("/statistics/<name>.csv")
def statistics_csv(name):
    return statistics_views.table_csv(name, officer=False)


@bp.get("/statistics.json")
def statistics_json():
    return statistics_views.as_json(officer=False)


# The award and publicity: announced rounds, certificates, the Atom feed, the sitemap.
@bp.get("/awards")
@kept_for_visitors
def awards():
    return render_template("awards/public_awards.html", rounds=publicity.announced_rounds())


@bp.get("/awards/certificates/<int:nomination_id>")
def certificate(nomination_id):
    honour = publicity.honour(nomination_id) or abort(404)
    return render_template("awards/certificate.html", honour=honour)


@bp.get("/feed.atom")
def feed():
    response = make_response(feeds.atom_feed(publicity.feed_items()))
    response.mimetype = "application/atom+xml"
    return response


@bp.get("/sitemap.xml")
def sitemap():
    page = render_template(
        "public/sitemap.xml",
        cases=publicity.sitemap_case_pages(),
        documents=documents.list_documents(PUBLIC),
    )
    response = make_response(page)
    response.mimetype = "application/xml"
    return response
