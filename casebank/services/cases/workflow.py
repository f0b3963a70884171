"""The review workflow of a case study: one table of transitions, and apply(), the only code
that changes a case's status.

Each transition declares the states it leaves, the state it reaches, who may make it (a
predicate of casebank.auth.permissions), whether a reason is required, and its effects: whom
it mails, the audit event, published_at, the access level chosen on publishing. The search
indexes follow by themselves: a status change is a CaseStudy change, queued in the outbox.
"""

import logging
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casebank.auth import permissions
from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.mail import in_language_of, send_mail
from casebank.models import CaseMessage, Role, User
from casebank.models.case_study import status_writer, utc_now
from casebank.models.vocab import AccessLevel, RoleName, WorkflowStatus
from casebank.services.cases.editing import incomplete_fields

log = logging.getLogger(__name__)

DRAFT = WorkflowStatus.DRAFT
SUBMITTED = WorkflowStatus.SUBMITTED
IN_REVIEW = WorkflowStatus.IN_REVIEW
CHANGES_REQUESTED = WorkflowStatus.CHANGES_REQUESTED
PUBLISHED = WorkflowStatus.PUBLISHED
REJECTED = WorkflowStatus.REJECTED
WITHDRAWN = WorkflowStatus.WITHDRAWN

# Whom a transition tells, by mail.
ORGANISATION = "organisation"
EDITORS = "editors"

# The access levels an editor chooses between on publishing: value -> (label, access level).
PUBLIC = "public"
PUBLIC_WITH_NOTES = "public_with_notes"
RESTRICTED = "restricted"
PUBLISH_CHOICES = {
    PUBLIC: (_l("Public (no restricted notes)"), AccessLevel.PUBLIC),
    PUBLIC_WITH_NOTES: (_l("Public, restricted notes for officers only"), AccessLevel.PUBLIC),
    RESTRICTED: (_l("Restricted: vetted enforcement officers only"), AccessLevel.RESTRICTED),
}


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # the button's words (lazy: in the reader's language)
    sources: tuple
    target: WorkflowStatus
    who: object  # a predicate (user, case) of casebank.auth.permissions
    reason_required: bool = False
    notify: str | None = None
    published_at: str | None = None  # "set" or "clear"
    chooses_access_level: bool = False

    @property
    def audit_action(self):
        return f"case.{self.name}"


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("submit", _l("Submit for review"), (DRAFT, CHANGES_REQUESTED), SUBMITTED,
                   permissions.is_case_submitter, notify=EDITORS),
        Transition("start_review", _l("Start the review"), (SUBMITTED,), IN_REVIEW,
                   permissions.is_case_editor, notify=ORGANISATION),
        Transition("request_changes", _l("Ask for changes"), (SUBMITTED, IN_REVIEW),
                   CHANGES_REQUESTED, permissions.is_case_editor, reason_required=True,
                   notify=ORGANISATION),
        Transition("publish", _l("Publish"), (SUBMITTED, IN_REVIEW), PUBLISHED,
                   permissions.is_case_editor, notify=ORGANISATION, published_at="set",
                   chooses_access_level=True),
        Transition("reject", _l("Reject"), (SUBMITTED, IN_REVIEW), REJECTED,
                   permissions.is_case_editor, reason_required=True, notify=ORGANISATION),
        Transition("unpublish", _l("Withdraw from publication"), (PUBLISHED,), WITHDRAWN,
                   permissions.is_case_editor, reason_required=True, notify=ORGANISATION,
                   published_at="clear"),
        Transition("withdraw", _l("Withdraw the submission"),
                   (DRAFT, SUBMITTED, IN_REVIEW, CHANGES_REQUESTED), WITHDRAWN,
                   permissions.is_case_submitter, reason_required=True, notify=EDITORS),
        Transition("reopen", _l("Reopen for review"), (WITHDRAWN, REJECTED), IN_REVIEW,
                   permissions.is_case_editor, notify=ORGANISATION),
        # Editors write case studies too: their own draft goes straight into review.
        Transition("send_to_review", _l("Send to review"), (DRAFT, CHANGES_REQUESTED), IN_REVIEW,
                   permissions.is_case_editor),
    )
}  # fmt: skip


class TransitionRefused(Exception):
    """Not from this state, or not by this user; nothing changed."""


class TransitionInvalid(Exception):
    """The transition is allowed but its input is not (a missing reason, a bad choice, an
    incomplete case): errors maps a field (reason, access_level, or a case field) to messages."""

    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def allowed_transitions(case, user):
    """The transitions this user may make on this case now, in table order."""
    return [t for t in TRANSITIONS.values() if case.status in t.sources and t.who(user, case)]


def apply(case, name, user, reason=None, access_level=None):
    """Make transition `name` on case as user; flushes. The only writer of case.status.
    Raises TransitionRefused (wrong state or user) or TransitionInvalid (a missing reason or
    choice, or a case that goes to review or publication incomplete)."""
    transition = TRANSITIONS.get(name)
    if transition is None or case.status not in transition.sources:
        raise TransitionRefused(f"{name} is not possible from {case.status}")
    if not transition.who(user, case):
        raise TransitionRefused(f"user {user.id} may not {name} case {case.id}")
    reason = (reason or "").strip() or None
    errors = input_errors(transition, case, reason, access_level)
    if not errors and transition.target in (SUBMITTED, IN_REVIEW, PUBLISHED):
        errors = incomplete_fields(case)
    if errors:
        raise TransitionInvalid(errors)
    previous = case.status
    with status_writer():
        case.status = transition.target
    apply_effects(transition, case, access_level)
    if reason:
        db.session.add(CaseMessage(case_study=case, author_id=user.id, body=reason))
    db.session.flush()
    audit_request(transition.audit_action, target=case, actor=user, **{"from": previous})
    notify(transition, case, user, reason)
    log.info("case %s: %s by user %s (%s -> %s)", case.id, name, user.id, previous, case.status)
    return case


def input_errors(transition, case, reason, access_level):
    errors = {}
    if transition.reason_required and not reason:
        errors["reason"] = [_("Give a reason: the other side reads it.")]
    if transition.chooses_access_level:
        if access_level not in PUBLISH_CHOICES:
            errors["access_level"] = [_("Choose who may read the published case study.")]
        elif access_level == PUBLIC and case.restricted_notes:
            errors["access_level"] = [
                _(
                    "This case study has restricted notes: publish it with restricted notes "
                    "for officers, or restricted."
                )
            ]
    return errors


def apply_effects(transition, case, access_level):
    if transition.published_at == "set":
        case.published_at = utc_now()
    elif transition.published_at == "clear":
        case.published_at = None
    if transition.chooses_access_level:
        case.access_level = PUBLISH_CHOICES[access_level][1]


def import_status(case, status):
    """`flask casebank import` restores a status from a file (an export, the demo data): the
    one write of a status outside the table, by the administrator's bulk tool."""
    with status_writer():
        case.status = status


def notify(transition, case, actor, reason):
    """One mail per recipient, each written in the recipient's language (an editor's action
    reaches a French partner in French)."""
    if transition.notify is None:
        return
    recipients = (
        organisation_recipients(case)
        if transition.notify == ORGANISATION
        else editor_recipients(case)
    )
    link = case_link(case, transition.notify)
    for address, person in recipients:
        with in_language_of(person):
            status = transition.target.translated_label
            subject = f"[casebank] {case.reference}: {status}"
            body = _("Case study %(reference)s is now: %(status)s.", reference=case.reference,
                     status=status) + "\n"  # fmt: skip
            if reason:
                body += "\n" + _("Reason:") + f"\n{reason}\n"
            body += "\n" + _("Sign in to see it: %(link)s", link=link) + "\n"
        send_mail(address, subject, body)


def case_link(case, side):
    endpoint = "partner.case_page" if side == ORGANISATION else "editorial.case_review"
    try:
        return url_for(endpoint, reference=case.reference, _external=True)
    except RuntimeError:  # outside a request (the CLI): the reference is enough
        return case.reference


def organisation_recipients(case):
    """(address, person) for the organisation's partner users, or its generic mailbox when it
    has none (the organisation then: no language of its own, so mails to it are in English)."""
    if case.partner_id is None:
        return []
    query = (
        select(User)
        .where(User.partner_id == case.partner_id, User.active.is_(True))
        .where(User.roles.any(Role.name == RoleName.PARTNER))
        .order_by(User.email)
    )
    users = db.session.scalars(query).all()
    return [(u.email, u) for u in users] or [(case.partner.contact_email, case.partner)]


def editor_recipients(case):
    """(address, user) for the assigned editor, or every editor while nobody has claimed the
    case (or its editor is one no longer: deactivated, or the role taken away)."""
    editor = case.assigned_editor
    if editor is not None and editor.active and permissions.is_case_editor(editor, case):
        return [(editor.email, editor)]
    query = (
        select(User)
        .where(User.active.is_(True), User.roles.any(Role.name == RoleName.EDITOR))
        .order_by(User.email)
    )
    return [(u.email, u) for u in db.session.scalars(query)]
