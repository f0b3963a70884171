"""A case study's revisions: listed, compared field by field (word by word for long text), and
an earlier one restored as a new revision."""

import difflib
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from casebank.extensions import db
from casebank.models import CaseRevision
from casebank.request_numbers import is_id
from casebank.schemas.case_study import field_label
from casebank.services.cases.editing import FORM_FIELDS, REVISED_FIELDS, save_case

# Text longer than this is compared word by word; shorter values as a whole.
LONG_TEXT = 60
WORDS = re.compile(r"\s+|[^\s]+")


@dataclass
class FieldChange:
    field: str
    before: object
    after: object
    # For long text: (operation, text) pieces, operation one of equal, delete, insert.
    words: list | None = None

    @property
    def label(self):
        return field_label(self.field)


def revisions_of(case):
    """Newest first, with their authors."""
    query = (
        select(CaseRevision)
        .filter_by(case_study_id=case.id)
        .options(selectinload(CaseRevision.author))
        .order_by(CaseRevision.number.desc())
    )
    return list(db.session.scalars(query))


def revision(case, number):
    """Revision `number` of case, or None (a number no row can hold, from a link or a form,
    is simply missing: the database would refuse it)."""
    if not is_id(number):
        return None
    return db.session.scalar(select(CaseRevision).filter_by(case_study_id=case.id, number=number))


def edited_after_publication(case):
    """When the latest revision was saved, if after the case was published (else None)."""
    latest = revision(case, case.version)
    if latest is None or case.published_at is None or latest.created_at <= case.published_at:
        return None
    return latest.created_at


def diff_records(before, after):
    """The fields whose values differ, in the record's order."""
    changes = []
    for field in REVISED_FIELDS:
        old, new = before.get(field), after.get(field)
        if old in ("", [], None) and new in ("", [], None) or old == new:
            continue
        long_text = isinstance(old, str | None) and isinstance(new, str | None)
        long_text = long_text and max(len(old or ""), len(new or "")) > LONG_TEXT
        changes.append(FieldChange(field, old, new, word_diff(old, new) if long_text else None))
    return changes


def word_diff(before, after):
    old, new = WORDS.findall(before or ""), WORDS.findall(after or "")
    pieces = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation in ("equal", "delete", "replace"):
            kind = "equal" if operation == "equal" else "delete"
            pieces.append((kind, "".join(old[i1:i2])))
        if operation in ("insert", "replace"):
            pieces.append(("insert", "".join(new[j1:j2])))
    return pieces


def diff_revisions(case, first, second):
    """The changes from revision `first` to revision `second` (an unknown one reads as empty)."""
    records = [getattr(revision(case, n), "record", {}) for n in (first, second)]
    return diff_records(*records)


def restore(case, number, user, version):
    """Save revision `number`'s record as the case's next revision (nothing is overwritten)."""
    old = revision(case, number)
    if old is None:
        return None
    record = {f: old.record.get(f) for f in FORM_FIELDS}
    return save_case(case, record, user, version, note=f"Restored revision {number}.")
