"""The restricted area for vetted enforcement officers: one guard for the whole blueprint."""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule

bp = Blueprint("restricted", __name__, url_prefix="/restricted")
bp.before_request(enforce_blueprint_rule("restricted"))


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


from casebank.restricted import views  # noqa: E402,F401 - registers the routes on bp
