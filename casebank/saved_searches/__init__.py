"""Members' saved searches and their alerts: list, save, rename, delete, and the one-click
unsubscribe link of the alert mails (which works without logging in)."""

from flask import Blueprint

from casebank.security_headers import never_cache

bp = Blueprint("saved_searches", __name__, url_prefix="/saved-searches")
bp.after_request(never_cache)  # a member's own searches: never kept by a cache


from casebank.saved_searches import views  # noqa: E402,F401 - registers the routes on bp
