"""Account pages outside Flask-Security: asking for access, one's own profile and sessions."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank.auth import enrolment, sessions
from casebank.auth.forms import EndSessionForm, RequestAccessForm
from casebank.auth.security import reauthenticate_unless_fresh
from casebank.extensions import limiter
from casebank.security_headers import never_cache
from casebank.services import accounts

bp = Blueprint("account", __name__, url_prefix="/account")
# A person's own details, sessions and addresses, or what they typed: never kept by a cache.
bp.after_request(never_cache)


@bp.route("/request-access", methods=["GET", "POST"])
@limiter.limit("5 per hour", methods=["POST"])
def request_access():
    form = RequestAccessForm()
    if form.validate_on_submit():
        fields = ("name", "organisation", "email", "country", "role_wanted", "justification",
                  "supervisor_contact")  # fmt: skip
        data = {f: getattr(form, f).data for f in fields}
        accounts.request_access({**data, "partner": form.partner_wanted()})
        return redirect(url_for("account.request_sent"))
    return render_template("account/request_access.html", form=form)


@bp.get("/request-access/sent")
def request_sent():
    return render_template("account/request_sent.html")


@bp.get("/")
def profile():
    return render_template(
        "account/profile.html",
        user=current_user,
        sessions=sessions.live_sessions(current_user),
        current_handle=sessions.current_handle(),
        form=EndSessionForm(),
    )


@bp.post("/sessions/<handle>/end")
def end_session(handle):
    if not EndSessionForm().validate_on_submit():
        abort(400)
    # ASVS 5.0 7.5.2: a session is ended by someone who has just entered the password again.
    if stale := reauthenticate_unless_fresh(url_for("account.profile")):
        return stale
    if not sessions.end_session(current_user, handle):
        abort(404)  # not one of this user's sessions: the same answer as no such session
    flash(_("That session has ended."), "success")
    return redirect(url_for("account.profile"))


@bp.get("/welcome")
def landing():
    """After logging in (Flask-Security's SECURITY_POST_LOGIN_VIEW, when no `next` came with
    the login): recovery codes first after a first enrolment, then where the member was going
    before the enrolment pages, else their workspace."""
    if enrolment.codes_due():
        return redirect(url_for("account.recovery_codes_once"))
    return redirect(enrolment.take_destination() or enrolment.workspace(current_user))


@bp.get("/recovery-codes/new")
def recovery_codes_once():
    """The recovery codes made at enrolment, shown this once (a reload shows none)."""
    codes = enrolment.new_recovery_codes(current_user)
    return render_template("security/recovery_codes_once.html", codes=codes)
