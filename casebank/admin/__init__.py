"""The secretariat's administration pages: access requests, accounts and roles."""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule
from casebank.security_headers import never_cache

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(enforce_blueprint_rule("admin"))
bp.after_request(never_cache)


from casebank.admin import views  # noqa: E402,F401 - registers the routes on bp
