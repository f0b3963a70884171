"""Admin views: parse the form, call the accounts service, render or redirect."""

import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_security import auth_required
from sqlalchemy import select

from casebank.admin import bp
from casebank.auth.audit_trail import audit_request
from casebank.auth.forms import (
    AccountActiveForm,
    AuditFilterForm,
    DecisionForm,
    EndSessionForm,
    UserForm,
    UserPartnerForm,
)
from casebank.auth.security import reauthenticate_unless_fresh
from casebank.auth.sessions import live_sessions
from casebank.extensions import db
from casebank.i18n import long_date
from casebank.models import AccessRequest, AuditEvent, User
from casebank.request_numbers import page_number
from casebank.services import accounts, audit

# Role changes need a password entered in the last few minutes (re-authentication).
FRESH = {"within": 10, "grace": 0}


@bp.get("/access-requests")
def access_requests():
    return render_template("admin/access_requests.html", requests=accounts.pending_requests())


@bp.get("/access-requests/<int:request_id>")
def access_request(request_id):
    access_request = db.get_or_404(AccessRequest, request_id)
    return render_template("admin/access_request.html", req=access_request, form=DecisionForm())


@bp.post("/access-requests/<int:request_id>")
def decide_access_request(request_id):
    access_request = db.get_or_404(AccessRequest, request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_template("admin/access_request.html", req=access_request, form=form), 400
    try:
        if form.approve.data:
            accounts.approve_request(access_request, current_user)
            flash(
                _("Approved; an invitation was sent to %(email)s.", email=access_request.email),
                "success",
            )
        else:
            accounts.refuse_request(access_request, current_user, form.reason.data)
            flash(_("Refused; %(email)s was told why.", email=access_request.email), "success")
    except accounts.AccountError as error:
        form.reason.errors = [str(error)]
        return render_template("admin/access_request.html", req=access_request, form=form), 400
    return redirect(url_for("admin.access_requests"))


@bp.get("/users")
def users():
    return render_template(
        "admin/users.html", users=db.session.scalars(select(User).order_by(User.email))
    )


@bp.get("/users/<int:user_id>")
def user(user_id):
    account = db.get_or_404(User, user_id)
    form = UserForm(roles=[r.name for r in account.roles])
    partner_form = UserPartnerForm(partner=account.partner.acronym if account.partner else "")
    return render_template(
        "admin/user.html",
        account=account,
        form=form,
        sessions_form=EndSessionForm(),
        active_form=AccountActiveForm(),
        session_count=len(live_sessions(account)),
        partner_form=partner_form,
    )


@bp.post("/users/<int:user_id>")
@auth_required(**FRESH)
def update_user(user_id):
    account = db.get_or_404(User, user_id)
    form = UserForm()
    if not form.validate_on_submit():
        abort(400)
    if form.revet.data:
        accounts.revet(account, actor=current_user)
        flash(
            _("Restricted access of %(email)s runs to %(date)s.", email=account.email,
              date=long_date(account.restricted_access_until))
        )  # fmt: skip
    else:
        accounts.set_roles(account, form.roles.data, actor=current_user)
        flash(
            _("Roles of %(email)s saved; their other sessions were ended.", email=account.email),
            "success",
        )
    return redirect(url_for("admin.user", user_id=account.id))


def posted_with_fresh_password(form, account):
    """An admin's button on a user's page: 400 without a valid form (CSRF); a redirect to enter
    the password again when it is stale, coming back to the user's page (not to the POST-only
    URL); None when the action may go ahead."""
    if not form.validate_on_submit():
        abort(400)
    return reauthenticate_unless_fresh(url_for("admin.user", user_id=account.id))


@bp.post("/users/<int:user_id>/sessions/end")
def end_user_sessions(user_id):
    account = db.get_or_404(User, user_id)
    if stale := posted_with_fresh_password(EndSessionForm(), account):
        return stale
    ended = accounts.end_all_sessions(account, actor=current_user)
    flash(
        ngettext("%(num)s session of %(email)s ended.", "%(num)s sessions of %(email)s ended.",
                 ended, email=account.email), "success",
    )  # fmt: skip
    return redirect(url_for("admin.user", user_id=account.id))


@bp.post("/users/<int:user_id>/active")
def set_user_active(user_id):
    account = db.get_or_404(User, user_id)
    form = AccountActiveForm()
    if stale := posted_with_fresh_password(form, account):
        return stale
    try:
        accounts.set_active(account, bool(form.reactivate.data), actor=current_user)
    except accounts.AccountError as error:
        flash(str(error), "error")
    else:
        message = (
            _("The account of %(email)s is active.", email=account.email)
            if account.active
            else _("The account of %(email)s is deactivated; their sessions were ended.",
                   email=account.email)
        )  # fmt: skip
        flash(message, "success")
    return redirect(url_for("admin.user", user_id=account.id))


@bp.post("/users/<int:user_id>/partner")
def set_user_partner(user_id):
    """Which partner organisation's unpublished case studies the user works on: an access
    change like a role, so it needs a fresh password too."""
    account = db.get_or_404(User, user_id)
    form = UserPartnerForm()
    if stale := posted_with_fresh_password(form, account):
        return stale
    accounts.set_partner(account, form.partner.partner, actor=current_user)
    flash(_("Partner organisation of %(email)s saved.", email=account.email), "success")
    return redirect(url_for("admin.user", user_id=account.id))


def audit_query(form):
    """The audit events the filter form selects (invalid filters are shown, not applied)."""
    form.validate()
    data = {k: v for k, v in form.data.items() if v and not form[k].errors}
    return audit.filter_events(
        action=data.get("action"), actor=data.get("actor"),
        since=data.get("since"), until=data.get("until"),
    )  # fmt: skip


@bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    query = audit_query(form).order_by(None).order_by(AuditEvent.id.desc())
    page = db.paginate(query, page=page_number(request.args), per_page=50,
                       error_out=False)  # fmt: skip
    return render_template("admin/audit.html", form=form, pagination=page)


@bp.get("/audit.csv")
@auth_required(**FRESH)
def audit_export():
    form = AuditFilterForm(request.args)
    stream = io.StringIO()
    count = audit.events_csv(audit_query(form), stream)
    audit_request("audit.exported", events=count, filters=request.args.to_dict())
    return Response(
        stream.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=casebank-audit.csv"},
    )
