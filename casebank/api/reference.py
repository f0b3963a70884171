"""/api/v1/conventions and /api/v1/hs-codes: the reference data case studies cite."""

from flask import jsonify, request

from casebank.api import bp
from casebank.api.paging import page_args, page_response
from casebank.services import catalogue


@bp.get("/conventions")
def conventions():
    return jsonify(
        items=[
            {
                "code": convention.code,
                "short_name": convention.short_name,
                "name": convention.name,
                "url": convention.url,
                "adopted_year": convention.adopted_year,
                "in_force_year": convention.in_force_year,
                "public_cases": count,
            }
            for convention, count in catalogue.convention_counts()
        ]
    )


@bp.get("/hs-codes")
def hs_codes():
    """?q=: a code prefix (2903, 2903.7) or words of the description."""
    page, per_page = page_args()
    found = catalogue.lookup_hs_codes(request.args.get("q", ""))
    shown = found[(page - 1) * per_page : page * per_page]
    items = [
        {"code": h.code, "description": h.description, "notes": h.notes or "",
         "conventions": [c.code for c in h.conventions]}
        for h in shown
    ]  # fmt: skip
    return page_response(items, len(found), page, per_page)
