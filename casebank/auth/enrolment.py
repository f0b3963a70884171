"""Where a member goes after logging in, and the one showing of recovery codes that follows a
first two-factor enrolment.

Flask-Security drops `next` on the way through the enrolment pages (its redirect to the setup
page carries none), so the login step keeps it in the session for the landing page; every
destination is checked again when it is used, never followed unchecked.
"""

from flask import current_app, has_request_context, session, url_for
from flask_security.utils import validate_redirect_url

from casebank.auth.permissions import is_admin, is_officer, is_partner

DESTINATION = "casebank_after_enrolment"
CODES_DUE = "casebank_recovery_codes_due"

# A member's own workspace, first match wins: an officer reads the restricted area, a partner
# writes case studies, an editor works the queue, an administrator decides requests.
WORKSPACES = (
    (is_officer, "restricted.home"),
    (is_partner, "partner.case_list"),
    (lambda user: user.has_role("editor"), "editorial.case_queue"),
    (is_admin, "admin.access_requests"),
)


def checked_destination(url):
    """url when it is a page of this site (a path, not another host); else None."""
    url = (url or "").strip()
    local = url.startswith("/") and not url.startswith(("//", "/\\"))
    return url if local and validate_redirect_url(url) else None


def remember_destination(url):
    """Kept for after the enrolment pages (a login that must enrol first)."""
    session[DESTINATION] = checked_destination(url)


def take_destination():
    return checked_destination(session.pop(DESTINATION, None))


def workspace(user):
    """The URL of the user's own workspace; the account page for a user without one (an
    officer whose vetting expired reads there why)."""
    for rule, endpoint in WORKSPACES:
        if rule(user):
            return url_for(endpoint)
    return url_for("account.profile")


def mark_codes_due():
    """Called when a user first enrols a second factor: their recovery codes come next. Only
    in a request (enrolment by a person); `demo-accounts` enrols from the command line."""
    if has_request_context():
        session[CODES_DUE] = True


def codes_due():
    return bool(session.get(CODES_DUE))


def new_recovery_codes(user):
    """Fresh recovery codes, once: the flag set at enrolment is spent, a reload gets none.
    Flask-Security makes and stores them (encrypted, SECURITY_MULTI_FACTOR_RECOVERY_CODES)."""
    if not session.pop(CODES_DUE, False):
        return None
    util = current_app.extensions["security"].mf_recovery_codes_util
    return util.create_recovery_codes(user)
