"""The restricted area for vetted enforcement officers: one guard for the whole blueprint."""

from casebank.auth.permissions import guarded_blueprint

bp = guarded_blueprint("restricted", __name__, url_prefix="/restricted")


from casebank.restricted import views  # noqa: E402,F401 - registers the routes on bp
