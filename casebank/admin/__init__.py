"""The secretariat's administration pages: access requests, accounts and roles."""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(enforce_blueprint_rule("admin"))


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


from casebank.admin import views  # noqa: E402,F401 - registers the routes on bp
