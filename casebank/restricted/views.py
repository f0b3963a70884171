"""Restricted views: every published case study, with the officer-only fields."""

from flask import abort, current_app, render_template, request

from casebank.auth.audit_trail import audit_request
from casebank.restricted import bp
from casebank.schemas.case_study import RESTRICTED_CASE_FIELDS, CaseStudySchema
from casebank.services import catalogue
from casebank.services.case_transfer import case_record

restricted_case_schema = CaseStudySchema(only=RESTRICTED_CASE_FIELDS)


@bp.get("/")
def home():
    return render_template("restricted/home.html", total=catalogue.count_cases(officer=True))


@bp.get("/cases")
def case_list():
    filters = catalogue.CaseFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int)
    per_page = current_app.config["CASES_PER_PAGE"]
    audit_request("restricted.case.list", filters=filters.active(), page=page)
    return render_template(
        "restricted/case_list.html",
        pagination=catalogue.list_cases(filters, page, per_page, officer=True),
        filters=filters,
        options=catalogue.filter_options(officer=True),
    )


@bp.get("/cases/<reference>")
def case_detail(reference):
    case = catalogue.get_case(reference, officer=True) or abort(404)
    audit_request("restricted.case.view", target=case, reference=case.reference)
    return render_template(
        "restricted/case_detail.html",
        case=restricted_case_schema.dump(case_record(case)),
        access_level=case.access_level,
        published_at=case.published_at,
        conventions={c.code: c for c in case.conventions},
        hs_codes={h.code: h for h in case.hs_codes},
        partner=case.partner,
    )
