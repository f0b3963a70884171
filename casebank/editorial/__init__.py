"""The secretariat's editorial pages: documents, and the review of case studies."""

from casebank.auth.permissions import guarded_blueprint

bp = guarded_blueprint("editorial", __name__, url_prefix="/editorial")


from casebank.editorial import awards, cases, feedback, views  # noqa: E402,F401 - registers the routes on bp
