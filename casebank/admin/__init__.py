"""The secretariat's administration pages: access requests, accounts and roles."""

from casebank.auth.permissions import guarded_blueprint

bp = guarded_blueprint("admin", __name__, url_prefix="/admin")


from casebank.admin import views  # noqa: E402,F401 - registers the routes on bp
