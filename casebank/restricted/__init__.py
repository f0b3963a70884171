"""The restricted area for vetted enforcement officers.

One guard protects the whole blueprint; its pages arrive with accounts and vetting.
"""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule

bp = Blueprint("restricted", __name__, url_prefix="/restricted")
bp.before_request(enforce_blueprint_rule("restricted"))


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response
