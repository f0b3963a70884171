"""The partner area: an organisation's own case studies, submitted and discussed with the
editors. One guard for the whole blueprint; each case is checked again by reference."""

from casebank.auth.permissions import guarded_blueprint

bp = guarded_blueprint("partner", __name__, url_prefix="/partner")


from casebank.partner import views  # noqa: E402,F401 - registers the routes on bp
