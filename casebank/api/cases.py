"""/api/v1/cases: the catalogue (filters, q, pages), one case study in the field set its reader
may see, and a case study's way through the workflow: create, update, attach, transitions,
status and conversation. Every change goes through the services the web pages use
(services/cases: editing, submission, workflow.apply, conversation, attachments)."""

import json

from flask import jsonify, request, url_for

from casebank import search as case_search
from casebank.api import bp
from casebank.api.bodies import form_fields, json_object, load
from casebank.api.paging import page_args, page_response
from casebank.api.problems import Problem, invalid
from casebank.auth.audit_trail import audit_request
from casebank.auth.permissions import (
    can_discuss_case,
    can_edit_case,
    can_revise_submission,
    case_audience,
    current_user,
    has_organisation,
    is_officer,
)
from casebank.case_pages import case_or_404
from casebank.schemas import api as schemas
from casebank.schemas.case_study import CaseStudySchema
from casebank.services import catalogue
from casebank.services.cases import (
    attachments,
    conversation,
    editing,
    queue,
    revisions,
    submission,
    workflow,
)

CASE_SCHEMAS = {
    audience: CaseStudySchema(only=names) for audience, names in schemas.CASE_FIELD_SETS.items()
}
TRANSITION = schemas.Transition()
MESSAGE = schemas.MessageWrite()
ATTACHMENT_FIELDS = {"title", "kind", "access_level"}


def case_json(user, case):
    """The case study in the field set this user reads (permissions.case_audience)."""
    audience = case_audience(user, case)
    record = editing.case_record(case)
    dumped = CASE_SCHEMAS[audience].dump(record)
    if audience != "public":
        dumped["status"] = str(case.status)
    dumped["url"] = url_for("api.case_detail", reference=case.reference, _external=True)
    # Amounts as exact text, dates as ISO 8601: the revision's plain JSON.
    return json.loads(json.dumps(dumped, default=editing.plain_text))


@bp.get("/cases")
def case_list():
    user = current_user()
    page, per_page = page_args()
    if request.args.get("own") in ("1", "true"):
        return own_cases(user, page, per_page)
    filters = catalogue.CaseFilters.from_args(request.args)
    references = matching(user, request.args.get("q", ""))
    officer = is_officer(user)
    if officer:
        audit_request("api.restricted.case.list", filters=filters.active(), page=page)
    found = catalogue.list_cases(filters, page, per_page, officer, references, cards=False)
    items = [case_json(user, case) for case in found.items]
    return page_response(items, found.total or 0, page, per_page, filters.errors)


def matching(user, text):
    """The references a q= search finds (None without q), in the index this user reads."""
    if not text.strip():
        return None
    try:
        return case_search.case_references_matching(user, text)
    except case_search.BadQuery as bad:
        raise Problem(400, str(bad), {"q": [str(bad)]}) from bad
    except case_search.SearchUnavailable as busy:
        raise Problem(503, "The search index is not ready; try again soon.") from busy


def own_cases(user, page, per_page):
    """?own=true: the organisation's case studies in every status (a partner's token)."""
    if not has_organisation(user):
        raise Problem(400, "own=true lists an organisation's case studies: use a partner's token.",
                      {"own": ["Only for a partner organisation's token."]})  # fmt: skip
    cases = queue.organisation_cases(user)
    shown = cases[(page - 1) * per_page : page * per_page]
    return page_response([case_json(user, c) for c in shown], len(cases), page, per_page)


@bp.get("/cases/<reference>")
def case_detail(reference):
    user = current_user()
    case = case_or_404(reference)
    if case_audience(user, case) == "restricted":
        audit_request("api.restricted.case.view", target=case, reference=case.reference)
    return jsonify(case_json(user, case))


@bp.post("/cases")
def create_case():
    user = current_user()
    record = json_object()
    note = envelope(record, "change_note")
    if "version" in record:
        raise invalid({"version": ["Not on a new case study."]})
    try:
        case = editing.create_case(record, user, user.partner, note)
    except editing.CaseInvalid as error:
        raise invalid(error.errors) from error
    location = url_for("api.case_detail", reference=case.reference, _external=True)
    return jsonify(case_json(user, case)), 201, {"Location": location}


@bp.put("/cases/<reference>")
def update_case(reference):
    """The whole record, as the edit form sends it (a field left out is cleared), with the
    version it builds on: a save over someone else's answers 409 with what changed."""
    user = current_user()
    case = case_or_404(reference)
    if not can_edit_case(user, case):
        raise Problem(409, f"The case study cannot be changed while it is {case.status.label}.")
    record = json_object()
    version = record.pop("version", None)
    note = envelope(record, "change_note")
    if type(version) is not int:
        raise invalid({"version": ["Give the version you edited (an integer), see GET."]})
    try:
        editing.save_case(case, record, user, version, note)
    except editing.EditConflict as conflict:
        changed = sorted({change.field for change in conflict.changes})
        raise Problem(409, f"Saved by someone else since version {version}; fields changed: "
                      f"{', '.join(changed)}. Read it again and resend.") from conflict  # fmt: skip
    except editing.CaseInvalid as error:
        raise invalid(error.errors) from error
    return jsonify(case_json(user, case))


def envelope(record, name):
    """Take an envelope field (not a case field) out of the record; checked here."""
    value = record.pop(name, None)
    if value is not None and (not isinstance(value, str) or len(value) > 500):
        raise invalid({name: ["Text of at most 500 characters."]})
    return value


@bp.get("/cases/<reference>/status")
def case_status(reference):
    user = current_user()
    case = case_or_404(reference, can_discuss_case)
    return jsonify(status_json(case, user))


def status_json(case, user):
    return {
        "reference": case.reference,
        "status": str(case.status),
        "version": case.version or 0,
        "transitions": [t.name for t in workflow.allowed_transitions(case, user)],
        "history": [
            {
                "number": r.number,
                "author": r.author.name if r.author else None,
                "change_note": r.change_note,
                "created_at": r.created_at.isoformat(),
            }
            for r in revisions.revisions_of(case)
        ],
        "messages": [message_json(m) for m in conversation.messages_for(case, user)],
    }


def message_json(message):
    return {
        "id": message.id,
        "author": message.author.name if message.author else None,
        "body": message.body,
        "internal": message.internal,
        "created_at": message.created_at.isoformat(),
    }


@bp.post("/cases/<reference>/transitions")
def case_transition(reference):
    user = current_user()
    case = case_or_404(reference, can_discuss_case)
    move = load(TRANSITION, json_object())
    try:
        if move["name"] == "submit":
            findings = submission.submit(case, user, confirmed=move["confirmed"])
            if findings:
                raise personal_data(findings)
        else:
            workflow.apply(case, move["name"], user, move.get("reason"), move.get("access_level"))
    except workflow.TransitionRefused as refused:
        raise Problem(409, f"Not possible now: the case study is {case.status.label}.") from refused
    except workflow.TransitionInvalid as error:
        raise invalid(error.errors, "The transition needs more; see errors.") from error
    return jsonify(status_json(case, user))


def personal_data(findings):
    """422: what looks like personal data in the public fields; resubmit with confirmed."""
    errors = {field: [f.advice for f in found] for field, found in findings.items()}
    errors["confirmed"] = ["Check these fields, then submit again with confirmed: true."]
    return invalid(errors, "Some public fields look like personal data.")


@bp.post("/cases/<reference>/messages")
def post_message(reference):
    user = current_user()
    case = case_or_404(reference, can_discuss_case)
    body = load(MESSAGE, json_object())
    try:
        message = conversation.post_message(case, user, body["body"])
    except conversation.MessageRefused as refused:
        raise invalid({"body": [str(refused)]}) from refused
    return jsonify(message_json(message)), 201


@bp.post("/cases/<reference>/attachments")
def attach_file(reference):
    """multipart/form-data: file, title, kind (image, report, other), access_level. The file
    goes through the document store's checks; an editor publishes it with the case."""
    from casebank.api.documents import document_json

    user = current_user()
    case = case_or_404(reference, can_revise_submission)
    fields = form_fields()
    unknown = (set(fields) - ATTACHMENT_FIELDS) | (set(request.files) - {"file"})
    if unknown:
        raise invalid({name: ["Unknown field."] for name in sorted(unknown)})
    upload = request.files.get("file")
    data, filename = (upload.read(), upload.filename or "") if upload else (b"", "")
    try:
        document = attachments.attach(
            case, user, data, filename, fields.get("title"), fields.get("kind"),
            fields.get("access_level"),
        )  # fmt: skip
    except attachments.AttachmentInvalid as error:
        raise invalid(error.errors) from error
    return jsonify(document_json(document)), 201
