"""The judges' area: the rounds a judge is named for, and their own score sheets."""

from casebank.auth.permissions import guarded_blueprint

bp = guarded_blueprint("judging", __name__, url_prefix="/judging")


from casebank.judging import views  # noqa: E402,F401 - registers the routes on bp
