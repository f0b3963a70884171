"""Account pages outside Flask-Security: asking for access, one's own profile and sessions."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casebank.auth import enrolment, sessions, tokens
from casebank.auth.forms import EndSessionForm, RequestAccessForm, TokenForm
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
    return profile_page(TokenForm(current_user, formdata=None))


def profile_page(token_form, status=200, new_secret=None):
    page = render_template(
        "account/profile.html",
        user=current_user,
        sessions=sessions.live_sessions(current_user),
        current_handle=sessions.current_handle(),
        form=EndSessionForm(),
        token_form=token_form,
        api_tokens=tokens.tokens_of(current_user),
        new_secret=new_secret,
    )
    return page, status


@bp.post("/tokens")
def create_token():
    """A new API token, shown once on the page this answers (never stored in clear)."""
    if stale := reauthenticate_unless_fresh(url_for("account.profile")):
        return stale
    form = TokenForm(current_user)
    if not form.validate_on_submit():
        return profile_page(form, 400)
    try:
        token, secret = tokens.create_token(
            current_user, form.name.data, form.scopes.data, form.expires_on.data
        )
    except tokens.TokenInvalid as invalid:
        for name, messages in invalid.errors.items():
            form[name].errors = [*form[name].errors, *messages]
        return profile_page(form, 400)
    return profile_page(TokenForm(current_user, formdata=None), new_secret=(token, secret))


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id):
    if not EndSessionForm().validate_on_submit():
        abort(400)
    if not tokens.revoke_token(current_user, token_id):
        abort(404)  # not one of this user's tokens: the same answer as no such token
    flash(_("The token was revoked: it opens nothing from now on."), "success")
    return redirect(url_for("account.profile", _anchor="tokens"))


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
