"""The one write path of case studies: the web forms and `flask casebank import` create and
change a case study through these functions and the same marshmallow schema, and every save
keeps a revision.

A draft may be incomplete (the schema's required fields may be missing); a case on its way to
review or published must be complete. A save that carries a version older than the case's
raises EditConflict, which says what changed meanwhile and keeps what the user typed.
"""

import json
import logging
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import func, select

from casebank.extensions import db
from casebank.models import CaseRevision, CaseStudy, Convention, HSCode, Partner
from casebank.models.vocab import WorkflowStatus
from casebank.schemas.case_study import (
    CASE_FIELDS,
    INTERNAL_FIELDS,
    LIST_FIELDS,
    CaseStudySchema,
)
from casebank.schemas.messages import translated

log = logging.getLogger(__name__)

RELATION_FIELDS = ("conventions", "hs_codes", "partner")
# What a revision keeps: the whole record but the workflow's bookkeeping.
REVISED_FIELDS = tuple(f for f in CASE_FIELDS if f not in INTERNAL_FIELDS)
# What the forms edit: the reference is fixed at creation, the organisation too.
FORM_FIELDS = tuple(f for f in REVISED_FIELDS if f not in ("reference", "partner"))
# The schema's required fields, which a draft may still lack.
DRAFT_OPTIONAL = tuple(
    name
    for name, field in CaseStudySchema().fields.items()
    if field.required and name in FORM_FIELDS
)
# Statuses in which a case may be saved incomplete.
INCOMPLETE_ALLOWED = (
    WorkflowStatus.DRAFT,
    WorkflowStatus.CHANGES_REQUESTED,
    WorkflowStatus.WITHDRAWN,
)


class CaseInvalid(Exception):
    """The record does not validate: errors maps each field to its messages."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} field(s) invalid")
        self.errors = errors


class EditConflict(Exception):
    """The case was saved by someone else since the user opened it (at version `since`)."""

    def __init__(self, case, since, changes):
        super().__init__(f"case {case.id} changed since version {since}")
        self.case, self.since, self.changes = case, since, changes


# Validation: the import's schema, with the draft's leniency.
def load_record(record, complete):
    """The cleaned record, or CaseInvalid with every field's messages. Unknown conventions and
    HS codes count as errors too."""
    schema = CaseStudySchema(only=FORM_FIELDS)
    try:
        data = schema.load(record, partial=() if complete else DRAFT_OPTIONAL)
    except ValidationError as error:
        raise CaseInvalid(flat_messages(error.messages)) from error
    errors = reference_errors(data, known_codes())
    if errors:
        raise CaseInvalid(errors)
    return data


def flat_messages(messages):
    """marshmallow's messages, one list of strings per field (list items folded in), in the
    reader's language."""
    flat = {}
    for field, value in messages.items():
        if isinstance(value, dict):
            value = [m for item in value.values() for m in item]
        flat[field] = list(value)
    return translated(flat)


def known_codes():
    return {
        "conventions": set(db.session.scalars(select(Convention.code))),
        "hs_codes": set(db.session.scalars(select(HSCode.code))),
        "partner": set(db.session.scalars(select(Partner.acronym))),
    }


def reference_errors(data, known):
    """Errors for conventions, HS codes and partners that casebank does not know."""
    errors = {}
    unknown = {
        field: ", ".join(code for code in data.get(field) or [] if code not in known[field])
        for field in ("conventions", "hs_codes")
    }
    if unknown["conventions"]:
        errors["conventions"] = [_("Unknown conventions: %(codes)s.", codes=unknown["conventions"])]
    if unknown["hs_codes"]:
        errors["hs_codes"] = [_("Unknown HS codes: %(codes)s.", codes=unknown["hs_codes"])]
    if data.get("partner") and data["partner"] not in known["partner"]:
        errors["partner"] = [_("Unknown partner %(acronym)s.", acronym=repr(data["partner"]))]
    return errors


def incomplete_fields(case):
    """What keeps the case from review: {} when its record validates in full."""
    record = revision_record(case)
    try:
        load_record({f: record[f] for f in FORM_FIELDS}, complete=True)
    except CaseInvalid as error:
        return error.errors
    return {}


# Writing
def create_case(record, user, partner, note=None):
    """A new draft from a form's record (possibly incomplete), for partner's organisation."""
    data = load_record(record, complete=False)
    case = CaseStudy(reference=next_reference(), partner=partner, version=0)
    db.session.add(case)
    write_record(case, data, user, note or "Created.")
    log.info("case %s created by user %s", case.id, user.id)
    return case


def save_case(case, record, user, version, note=None):
    """Save a form's record on case as a new revision; flushes. Raises EditConflict when the
    case changed since `version`, CaseInvalid when the record does not validate (a case under
    review or published must stay complete)."""
    if version != case.version:
        raise EditConflict(case, version, changes_since(case, version))
    data = load_record(record, complete=case.status not in INCOMPLETE_ALLOWED)
    return write_record(case, data, user, note)


def write_record(case, data, user, note=None):
    """Put validated data on case and keep the result as its next revision; flushes. A save
    that changes nothing (an import of the same file again) keeps the latest revision."""
    apply_record(case, data)
    db.session.flush()
    record = revision_record(case)
    latest = latest_revision(case)
    if latest is not None and latest.record == record:
        return latest
    case.version = (case.version or 0) + 1
    revision = CaseRevision(
        case_study=case,
        number=case.version,
        author_id=user.id if user is not None else None,
        change_note=(note or "").strip() or None,
        record=record,
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def latest_revision(case):
    if not case.version:
        return None
    return db.session.scalar(
        select(CaseRevision).filter_by(case_study_id=case.id, number=case.version)
    )


def apply_record(case, data):
    """Set the record's fields on case: a form field left out is cleared; the workflow's
    fields (status, published_at) and the organisation are set only when given (by import)."""
    for field in FORM_FIELDS:
        if field not in RELATION_FIELDS:
            setattr(case, field, data.get(field, [] if field in LIST_FIELDS else None))
    for field in ("reference", "access_level"):
        if field in data:
            setattr(case, field, data[field])
    case.conventions = lookup(Convention, Convention.code, data.get("conventions"))
    case.hs_codes = lookup(HSCode, HSCode.code, data.get("hs_codes"))
    if "partner" in data:
        case.partner = (
            db.session.scalar(select(Partner).filter_by(acronym=data["partner"]))
            if data["partner"]
            else None
        )


def lookup(model, column, values):
    return list(db.session.scalars(select(model).where(column.in_(values)))) if values else []


def next_reference():
    """CB-<year>-W<n>: the web's own series, so it never meets an imported reference."""
    prefix = f"CB-{date.today().year}-W"
    taken = db.session.scalar(
        select(func.count()).select_from(CaseStudy).where(CaseStudy.reference.startswith(prefix))
    )
    number = taken + 1
    while db.session.scalar(select(CaseStudy.id).filter_by(reference=f"{prefix}{number:03d}")):
        number += 1
    return f"{prefix}{number:03d}"


# Records
def case_record(case):
    """A case study as a plain record in the import format."""
    record = {f: getattr(case, f) for f in CASE_FIELDS if f not in RELATION_FIELDS}
    record["conventions"] = [c.code for c in case.conventions]
    record["hs_codes"] = [h.code for h in case.hs_codes]
    record["partner"] = case.partner.acronym if case.partner else None
    return record


def revision_record(case):
    """The record a revision keeps: the schema's dump, as plain JSON (amounts as exact text)."""
    dumped = CaseStudySchema(only=REVISED_FIELDS).dump(case_record(case))
    return json.loads(json.dumps(dumped, default=plain_text))


def plain_text(value):
    """Amounts as exact text, the same whether read from the form or the database
    (120.5, not 120.500)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def form_record(case):
    record = revision_record(case)
    return {f: record.get(f) for f in FORM_FIELDS}


def changes_since(case, version):
    """What changed between revision `version` and the case's latest revision."""
    from casebank.services.cases.revisions import diff_revisions

    return diff_revisions(case, version, case.version)
