"""The restricted area for vetted enforcement officers: one guard for the whole blueprint."""

from flask import Blueprint

from casebank.auth.permissions import enforce_blueprint_rule
from casebank.security_headers import never_cache

bp = Blueprint("restricted", __name__, url_prefix="/restricted")
bp.before_request(enforce_blueprint_rule("restricted"))
bp.after_request(never_cache)


from casebank.restricted import views  # noqa: E402,F401 - registers the routes on bp
