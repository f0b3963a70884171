"""Restricted views: every published case study with the officer-only fields, risk
indicators and restricted documents. Views and downloads of restricted material are audited."""

from flask import abort, current_app, render_template, request

from casebank import export_views, statistics_views
from casebank.auth.audit_trail import audit_request
from casebank.downloads import file_response
from casebank.extensions import limiter
from casebank.request_numbers import page_number
from casebank.restricted import bp
from casebank.schemas.case_study import RESTRICTED_CASE_FIELDS, CaseStudySchema
from casebank.services import catalogue, document_versions, documents, risk_indicators
from casebank.services.case_transfer import case_record
from casebank.services.documents import OFFICER

restricted_case_schema = CaseStudySchema(only=RESTRICTED_CASE_FIELDS)


@bp.get("/")
def home():
    return render_template("restricted/home.html", total=catalogue.count_cases(officer=True))


def audited(page_html, action, **details):
    """The page, once its reading is recorded. Recorded after rendering, just before the
    request commits: the audit chain's lock (PostgreSQL holds it until the commit) then
    covers the commit, not the page's work, so officers' pages do not run one at a time."""
    audit_request(action, **details)
    return page_html


@bp.get("/cases")
def case_list():
    filters = catalogue.CaseFilters.from_args(request.args)
    page = page_number(request.args)
    per_page = current_app.config["CASES_PER_PAGE"]
    page_html = render_template(
        "restricted/case_list.html",
        pagination=catalogue.list_cases(filters, page, per_page, officer=True),
        filters=filters,
        options=catalogue.filter_options(officer=True),
    )
    return audited(page_html, "restricted.case.list", filters=filters.active(), page=page)


@bp.get("/cases/<reference>")
def case_detail(reference):
    case = catalogue.get_case(reference, officer=True) or abort(404)
    page_html = render_template(
        "restricted/case_detail.html",
        case=restricted_case_schema.dump(case_record(case)),
        access_level=case.access_level,
        case_language=case.language,
        published_at=case.published_at,
        conventions={c.code: c for c in case.conventions},
        hs_codes={h.code: h for h in case.hs_codes},
        partner=case.partner,
        risk_indicators=risk_indicators.for_case(case),
        attachments=documents.attachments_of(case, OFFICER),
    )
    return audited(page_html, "restricted.case.view", target=case, reference=case.reference)


@bp.get("/risk-indicators")
def risk_indicator_list():
    filters = risk_indicators.RiskIndicatorFilters.from_args(request.args)
    return render_template(
        "restricted/risk_indicators.html",
        items=risk_indicators.list_risk_indicators(filters),
        filters=filters,
        conventions=catalogue.all_conventions(),
    )


@bp.get("/risk-indicators/<int:document_id>")
def risk_indicator_detail(document_id):
    document = risk_indicators.get_risk_indicator(document_id) or abort(404)
    risk = document.risk_indicator
    audit_request("restricted.risk_indicator.view", target=document)  # no title: in clear
    return render_template(
        "restricted/risk_indicator.html",
        document=document,
        risk=risk,
        groups=risk_indicators.grouped(risk.indicators),
        cases=risk_indicators.linked_cases(risk),
    )


@bp.get("/documents")
def document_list():
    filters = documents.DocumentFilters.from_args(request.args)
    return render_template(
        "restricted/documents.html",
        documents=documents.list_documents(OFFICER, filters),
        filters=filters,
        options=documents.filter_options(OFFICER),
    )


@bp.get("/documents/<int:document_id>")
def document_detail(document_id):
    document = documents.get_document(document_id, OFFICER) or abort(404)
    documents.record_access("restricted.document.view", document)
    return render_template(
        "restricted/document.html", document=document, current=documents.current_version(document)
    )


@bp.get("/documents/<int:document_id>/download")
def document_download(document_id):
    document = documents.get_document(document_id, OFFICER) or abort(404)
    documents.record_access("restricted.document.download", document)
    return file_response(document)


@bp.get("/documents/<int:document_id>/versions/<int:number>/download")
def version_download(document_id, number):
    document = documents.get_document(document_id, OFFICER) or abort(404)
    version = document_versions.get_version(document, number) or abort(404)
    documents.record_access("restricted.document.download", document)
    return file_response(version)


@bp.get("/cases/export.<fmt>")
@limiter.shared_limit(
    export_views.export_limit, export_views.EXPORTS_SCOPE, key_func=export_views.exporter
)
def case_list_export(fmt):
    """Every case study the restricted list shows for these filters; audited (filters and
    count)."""
    return export_views.case_list_export(fmt, officer=True)


# Statistics over every case study an officer may read; the page, CSV and JSON are audited.
@bp.get("/statistics")
def statistics():
    return statistics_views.page(officer=True)


@bp.get("/statistics/<name>.svg")
def statistics_chart(name):
    return statistics_views.chart(name, officer=True)


@bp.get("/statistics/<name>.csv")
def statistics_csv(name):
    return statistics_views.table_csv(name, officer=True)


@bp.get("/statistics.json")
def statistics_json():
    return statistics_views.as_json(officer=True)
