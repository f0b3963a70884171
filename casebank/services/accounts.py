"""Accounts: requests for access, invitations, roles, vetting and its expiry.

No open sign-up: a person asks through the public form, an admin approves (an invitation with
a one-time, expiring link goes out) or refuses with a reason.
"""

import logging
from datetime import date, timedelta

from flask import current_app, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_user
from flask_security.recoverable import generate_reset_password_token
from flask_security.utils import hash_password
from sqlalchemy import select

from casebank.auth.audit_trail import audit_request
from casebank.auth.passwords import password_problems
from casebank.auth.security import LINK_VALIDITY, InvalidEmail, login_email, user_datastore
from casebank.auth.sessions import end_sessions
from casebank.extensions import db
from casebank.i18n import current_language
from casebank.mail import in_language_of, send_mail
from casebank.models import AccessRequest, Partner, Role, RoleName, User
from casebank.models.case_study import utc_now
from casebank.models.vocab import RequestStatus

log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A request the rules refuse; the message is safe to show to the person who asked."""


def find_user(email):
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def roles_named(names):
    roles = list(db.session.scalars(select(Role).where(Role.name.in_(names))))
    if len(roles) != len(set(names)):
        raise AccountError(_("Unknown role among %(roles)s.", roles=", ".join(sorted(names))))
    return roles


def partner_named(acronym):
    """The partner organisation with this acronym (any case); AccountError names the known ones."""
    wanted = acronym.strip().upper()
    partners = list(db.session.scalars(select(Partner).order_by(Partner.acronym)))
    for partner in partners:
        if partner.acronym.upper() == wanted:
            return partner
    known = ", ".join(p.acronym for p in partners) or _("none yet")
    raise AccountError(
        _("Unknown partner organisation %(acronym)s; known acronyms: %(known)s.",
          acronym=repr(acronym), known=known)
    )  # fmt: skip


def vetting_end(today=None):
    return (today or date.today()) + timedelta(days=current_app.config["RESTRICTED_ACCESS_DAYS"])


def create_user(
    email, roles, password=None, name="", organisation="", country=None, actor=None, partner=None
):
    """An active account; without a password it can only be entered through an invitation.

    partner: the user's partner organisation, a Partner or its acronym."""
    try:
        email = login_email(email.strip().lower())
    except InvalidEmail as error:
        raise AccountError(str(error)) from None
    if isinstance(partner, str):
        partner = partner_named(partner)
    if find_user(email):
        raise AccountError(_("An account for %(email)s already exists.", email=email))
    if password is not None:
        problems = password_problems(password, email)
        if problems:
            raise AccountError(" ".join(problems))
    user = user_datastore.create_user(
        email=email,
        password=hash_password(password) if password else None,
        name=name,
        organisation=organisation,
        country=country,
        roles=roles_named(roles),
        partner=partner,
    )
    if RoleName.OFFICER in roles:
        user.restricted_access_until = vetting_end()
    db.session.flush()
    details = {"partner": partner.acronym} if partner else {}
    audit_request("account.created", target=user, actor=actor, roles=sorted(roles), **details)
    log.info("user %s created with roles %s", user.id, ",".join(sorted(roles)))
    return user


def remember_language(user, language):
    """The interface language a member reads in; their e-mails are written in it."""
    if user.is_authenticated and user.language != language:
        user.language = language


def request_access(data):
    """Queue a request from the public form (data already validated by the form)."""
    access_request = AccessRequest(**data, language=current_language())
    access_request.email = access_request.email.strip().lower()
    db.session.add(access_request)
    db.session.flush()
    log.info("access request %s queued", access_request.id)
    return access_request


def pending_requests():
    query = select(AccessRequest).where(AccessRequest.status == RequestStatus.PENDING)
    return list(db.session.scalars(query.order_by(AccessRequest.created_at)))


def approve_request(access_request, admin):
    if access_request.status != RequestStatus.PENDING:
        raise AccountError(_("This request has already been decided."))
    user = find_user(access_request.email)
    if user is None:
        user = create_user(
            access_request.email,
            [access_request.role_wanted],
            name=access_request.name,
            organisation=access_request.organisation,
            country=access_request.country,
            actor=admin,
            partner=access_request.partner,
        )
    else:
        add_role(user, access_request.role_wanted, actor=admin)
        if access_request.partner is not None and user.partner != access_request.partner:
            set_partner(user, access_request.partner, actor=admin)
    decide(access_request, admin, RequestStatus.APPROVED)
    access_request.user_id = user.id
    send_invitation(user, access_request)
    return user


def refuse_request(access_request, admin, reason):
    if access_request.status != RequestStatus.PENDING:
        raise AccountError(_("This request has already been decided."))
    if not (reason or "").strip():
        raise AccountError(_("Give the reason for the refusal; it is sent to the applicant."))
    decide(access_request, admin, RequestStatus.REFUSED)
    access_request.refusal_reason = reason.strip()
    with in_language_of(access_request):
        subject = _("Your request for a casebank account")
        body = _(
            "Dear %(name)s,\n\nYour request for a casebank account was not approved.\n"
            "Reason: %(reason)s\n",
            name=access_request.name, reason=access_request.refusal_reason,
        )  # fmt: skip
    send_mail(access_request.email, subject, body)


def decide(access_request, admin, status):
    access_request.status = status
    access_request.decided_by_id = admin.id
    access_request.decided_at = utc_now()
    db.session.flush()
    audit_request(f"access_request.{status}", target=access_request, actor=admin)
    log.info("access request %s %s by %s", access_request.id, status, admin.id)


def send_invitation(user, access_request=None):
    """A one-time link to set a password: it expires, and dies once a password is set.
    Written in the language of the request it answers (else the member's): the link opens
    the page in the reader's browser language, which may differ."""
    token = generate_reset_password_token(user)
    link = url_for("security.reset_password", token=token, _external=True)
    hours = int(LINK_VALIDITY.total_seconds() // 3600)
    name = user.name or user.email
    with in_language_of(access_request or user):
        if user.password is None:
            subject = _("Your casebank invitation")
            body = _(
                "Dear %(name)s,\n\nAn account has been opened for you on casebank.\n"
                "Set your password within %(hours)s hours with this one-time link:\n\n"
                "%(link)s\n\n"
                "After that you will set up two-factor authentication with an authenticator app "
                "on your phone, and receive recovery codes to store.\n",
                name=name, hours=hours, link=link,
            )  # fmt: skip
        else:
            subject = _("Your casebank account has new access")
            body = _(
                "Dear %(name)s,\n\nYour request was approved: your casebank account has new "
                "access. Log in as usual. If you have forgotten your password, reset it within "
                "%(hours)s hours with this one-time link:\n\n%(link)s\n",
                name=name, hours=hours, link=link,
            )  # fmt: skip
    send_mail(user.email, subject, body)


def add_role(user, role_name, actor=None):
    user_datastore.add_role_to_user(user, role_name)
    audit_request("account.role_added", target=user, actor=actor, role=str(role_name))
    if role_name == RoleName.OFFICER:
        user.restricted_access_until = vetting_end()
    end_other_sessions(user)


def set_roles(user, role_names, actor=None):
    before = sorted(r.name for r in user.roles)
    user.roles = roles_named(role_names)
    audit_request("account.roles_changed", target=user, actor=actor, before=before,
                  after=sorted(role_names))  # fmt: skip
    if RoleName.OFFICER in role_names and not user.has_restricted_access():
        user.restricted_access_until = vetting_end()
    end_other_sessions(user)
    log.info("roles of user %s set to %s", user.id, ",".join(sorted(role_names)))


def set_partner(user, partner, actor=None):
    """Set (a Partner) or clear (None) the user's partner organisation."""
    before = user.partner.acronym if user.partner else None
    user.partner = partner
    db.session.flush()
    after = partner.acronym if partner else None
    audit_request("account.partner_changed", target=user, actor=actor, before=before, after=after)
    log.info("partner of user %s set to %s", user.id, after)


def revet(user, actor=None):
    """An admin confirms the officer again: restricted access runs for another period."""
    user.restricted_access_until = vetting_end()
    user.access_reminder_sent_at = None
    db.session.flush()
    audit_request("account.revetted", target=user, actor=actor,
                  until=user.restricted_access_until.isoformat())  # fmt: skip


def end_other_sessions(user):
    """End every session of the user but the current request's own (when it is theirs).

    The session registry does the ending; a new uniquifier also voids anything else keyed on
    it (Flask-Security's tokens), so the current session is logged in again under the new one.
    """
    end_sessions(user, keep_current=True)
    user_datastore.set_uniquifier(user)
    db.session.flush()
    if current_user and current_user.is_authenticated and current_user.id == user.id:
        login_user(user)


def end_every_session(user):
    """Every session of the user ends, and so does what is keyed on the uniquifier and is not
    yet a session: a login half-way through its two-factor step (Flask-Security would finish
    it, for an account deactivated meanwhile too) and Flask-Security's tokens."""
    ended = end_sessions(user)
    user_datastore.set_uniquifier(user)
    db.session.flush()
    return ended


def end_all_sessions(user, actor=None):
    """An admin ends every session of the user at once; returns how many there were."""
    ended = end_every_session(user)
    audit_request("account.sessions_ended", target=user, actor=actor, sessions=ended)
    log.info("all %s sessions of user %s ended by %s", ended, user.id, actor and actor.id)
    return ended


def set_active(user, active, actor=None):
    """Deactivate (the account cannot log in and its sessions end) or reactivate an account."""
    if not active and actor is not None and actor.id == user.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    if active:
        user_datastore.activate_user(user)
    else:
        user_datastore.deactivate_user(user)
        end_every_session(user)
    db.session.flush()
    action = "account.reactivated" if active else "account.deactivated"
    audit_request(action, target=user, actor=actor)
    log.info("user %s %s by %s", user.id, action.split(".")[1], actor and actor.id)


def officers_to_remind(today=None):
    """Officers whose restricted access ends within the reminder window, not yet reminded."""
    today = today or date.today()
    horizon = today + timedelta(days=current_app.config["ACCESS_REMINDER_DAYS"])
    query = select(User).where(
        User.restricted_access_until.is_not(None),
        User.restricted_access_until >= today,
        User.restricted_access_until <= horizon,
        User.access_reminder_sent_at.is_(None),
    )
    return [u for u in db.session.scalars(query) if u.has_role(RoleName.OFFICER)]


def send_expiry_reminders(today=None):
    reminded = officers_to_remind(today)
    for user in reminded:
        with in_language_of(user):
            subject = _("Your casebank restricted access ends soon")
            body = _(
                "Your access to casebank's restricted area ends on %(date)s.\n"
                "Ask your casebank administrator to renew your vetting before then.\n",
                date=format_date(user.restricted_access_until, "long"),
            )
        send_mail(user.email, subject, body)
        user.access_reminder_sent_at = utc_now()
    db.session.flush()
    return reminded
