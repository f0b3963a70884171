"""The secretariat's editorial pages: uploading, describing and publishing documents."""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule
from casebank.security_headers import never_cache

bp = Blueprint("editorial", __name__, url_prefix="/editorial")
bp.before_request(enforce_blueprint_rule("editorial"))
bp.after_request(never_cache)


from casebank.editorial import views  # noqa: E402,F401 - registers the routes on bp
