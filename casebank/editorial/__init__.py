"""The secretariat's editorial pages: uploading, describing and publishing documents."""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule

bp = Blueprint("editorial", __name__, url_prefix="/editorial")
bp.before_request(enforce_blueprint_rule("editorial"))


@bp.after_request
def never_cache(response):
    response.headers["Cache-Control"] = "no-store"
    return response


from casebank.editorial import views  # noqa: E402,F401 - registers the routes on bp
