"""Session lifetime: an idle timeout (30 minutes for restricted roles) and an absolute one.

Flask-Security keys a session on the user's fs_uniquifier, so changing that value (password or
role change) ends every other session of the user; see services/accounts.end_other_sessions.
"""

import logging

from flask import current_app, flash, session
from flask_login import current_user, logout_user
from flask_security import user_authenticated

from casebank.auth.audit_trail import audit_request
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)
STARTED, SEEN = "casebank_started", "casebank_seen"


def idle_limit(user):
    config = current_app.config
    restricted = user.requires_two_factor()
    return config["IDLE_TIMEOUT_RESTRICTED"] if restricted else config["IDLE_TIMEOUT"]


def enforce_session_timeouts():
    """before_request: log out a session that was idle too long or is simply too old."""
    if not current_user.is_authenticated:
        return
    now = utc_now().timestamp()
    started = session.get(STARTED, now)
    seen = session.get(SEEN, now)
    too_old = now - started > current_app.config["ABSOLUTE_TIMEOUT"].total_seconds()
    idle = now - seen > idle_limit(current_user).total_seconds()
    if too_old or idle:
        reason = "age" if too_old else "idle"
        log.info("session of user %s ended (%s)", current_user.id, reason)
        audit_request("session.expired", target=current_user, reason=reason)
        logout_user()
        session.pop(STARTED, None)
        session.pop(SEEN, None)
        flash("Your session has ended. Please log in again.", "info")
        return
    session[STARTED] = started
    session[SEEN] = now


def register_session_timeouts(app):
    app.before_request(enforce_session_timeouts)

    @user_authenticated.connect_via(app)
    def start_session_clock(sender, user, **extra):
        session[STARTED] = session[SEEN] = utc_now().timestamp()
