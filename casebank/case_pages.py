"""What the partner and editorial case-study pages share: finding a case the user may see
(404 otherwise, like a missing one), saving the form through the case services, moving a case
through the workflow, and the page's pieces (history, conversation, allowed transitions)."""

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select

from casebank.auth.permissions import can_view_case, current_user
from casebank.case_forms import (
    AttachmentForm,
    CaseStudyForm,
    MessageForm,
    RestoreForm,
    TransitionForm,
    form_data,
)
from casebank.extensions import db
from casebank.models import CaseStudy
from casebank.schemas.case_study import FIELD_LABELS
from casebank.services.cases import (
    attachments,
    conversation,
    editing,
    revisions,
    submission,
    workflow,
)

# What a refused transition names: the case's fields, and the transition form's own inputs.
FIELD_NAMES = {
    **FIELD_LABELS,
    "reason": TransitionForm.reason.args[0],
    "access_level": TransitionForm.access_level.args[0],
}


def case_or_404(reference, may=can_view_case):
    """The case with this reference if the current user passes `may`; else 404."""
    case = db.session.scalar(select(CaseStudy).filter_by(reference=reference[:32]))
    if case is None or not may(current_user(), case):
        abort(404)
    return case


def edit_form(case, form_class=CaseStudyForm):
    form = form_class(data=form_data(editing.form_record(case)))
    form.version.data = str(case.version)
    return form


def save(form, case, user):
    """Save the posted form on case. Returns (saved, conflict): conflict is the EditConflict
    when someone saved meanwhile; the form then carries the latest version, so saving again
    (having seen the difference) writes on top. Errors land on the form's fields."""
    try:
        editing.save_case(case, form.record(), user, form.expected_version(), form.change_note.data)
    except editing.EditConflict as conflict:
        form.version.data = str(case.version)
        return False, conflict
    except editing.CaseInvalid as invalid:
        form.show_errors(invalid.errors)
        return False, None
    return True, None


def create(form, user, partner):
    """A new draft from the posted form, or None with the errors on the form's fields."""
    try:
        return editing.create_case(form.record(), user, partner, form.change_note.data)
    except editing.CaseInvalid as invalid:
        form.show_errors(invalid.errors)
        return None


def move(case, form, user):
    """Make the posted transition. Returns (done, errors, findings): errors by field (the
    reason, the access level, or the case's own fields when it is incomplete); findings of the
    personal-data check waiting for the submitter's confirmation."""
    name = form.transition.data
    try:
        if name == "submit":
            findings = submission.submit(case, user, confirmed=form.confirmed.data == "yes")
            if findings:
                return False, {}, findings
        else:
            workflow.apply(
                case, name, user, reason=form.reason.data, access_level=form.access_level.data
            )
    except workflow.TransitionRefused:
        # The user sees the case (case_or_404 ran first): say why, e.g. a stale second tab.
        status = case.status.translated_label
        message = _("Not possible now: the case study is %(status)s.", status=status)
        return False, {"transition": [message]}, {}
    except workflow.TransitionInvalid as invalid:
        return False, invalid.errors, {}
    return True, {}, {}


def now_in(case):
    """The flash after a transition: where the case study is now."""
    return _(
        "%(reference)s is now: %(status)s.", reference=case.reference,
        status=case.status.translated_label,
    )  # fmt: skip


def post(case, form, user, internal=False):
    """Post the message form; False with the error on the form when it is refused."""
    try:
        conversation.post_message(case, user, form.body.data, internal=internal)
    except conversation.MessageRefused as refused:
        form.body.errors = [*form.body.errors, str(refused)]
        return False
    return True


def attach(case, form, user):
    """Attach the posted file; None with the errors on the form's fields when refused."""
    upload = form.file.data
    data, filename = (upload.read(), upload.filename) if upload else (b"", "")
    try:
        return attachments.attach(
            case, user, data, filename, form.title.data, form.kind.data, form.access_level.data
        )
    except attachments.AttachmentInvalid as invalid:
        for name, messages in invalid.errors.items():
            form[name].errors = [*form[name].errors, *messages]
        return None


def page_context(case, user, **extra):
    """The pieces of a case page: history, conversation, the transitions allowed now."""
    return {
        "case": case,
        "revisions": revisions.revisions_of(case),
        "messages": conversation.messages_for(case, user),
        "transitions": workflow.allowed_transitions(case, user),
        "transition_form": TransitionForm(formdata=None),
        "message_form": MessageForm(formdata=None),
        "restore_form": RestoreForm(formdata=None, version=str(case.version)),
        "attachments": attachments.attachments_of(case),
        "attachment_form": AttachmentForm(formdata=None),
        "transition_errors": {},
        "field_labels": FIELD_NAMES,
        "findings": {},
        "conflict": None,
        **extra,
    }


def compare(case, args):
    """The diff between two revisions named in the query (?from=&to=), latest two by default."""
    first = args.get("from", type=int, default=max(case.version - 1, 0))
    second = args.get("to", type=int, default=case.version)
    return first, second, revisions.diff_revisions(case, first, second)
