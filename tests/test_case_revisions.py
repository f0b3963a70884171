"""Every save of a case study keeps a revision (import included); revisions compare field by
field and word by word, an earlier one can be restored, and a stale save loses nothing."""

import pytest
from sqlalchemy import select, text

from casebank.models import CaseRevision, CaseStudy
from casebank.services.case_transfer import ImportRejected, import_cases
from casebank.services.cases import editing, revisions
from casebank.services.cases.editing import CaseInvalid, EditConflict
from tests.factories import case_record, join_partner, make_case, role_user


def form_record(case, **changes):
    return {**editing.form_record(case), **changes}


def test_an_import_records_a_revision_and_another_import_a_second(db):
    case = make_case(status="draft")
    assert case.version == 1
    make_case(reference=case.reference, status="draft", title="A better title")
    assert case.version == 2
    numbers = [r.number for r in revisions.revisions_of(case)]
    assert numbers == [2, 1]
    assert revisions.revision(case, 2).record["title"] == "A better title"
    assert revisions.revision(case, 1).change_note == "Imported."


def test_importing_the_same_record_again_keeps_the_latest_revision(db):
    record = case_record(status="published")
    import_cases([record])
    import_cases([record])
    case = db.session.scalar(select(CaseStudy).filter_by(reference=record["reference"]))
    assert case.version == 1 and len(revisions.revisions_of(case)) == 1


def test_a_rejected_import_writes_no_revision(db):
    before = db.session.scalar(select(db.func.count()).select_from(CaseRevision))
    good, bad = case_record(), case_record(country="XX")
    with pytest.raises(ImportRejected):
        import_cases([good, bad])
    assert db.session.scalar(select(db.func.count()).select_from(CaseRevision)) == before


def test_a_revision_is_sealed_at_rest(db):
    case = make_case(restricted_notes="canary-revision-5521")
    raw = db.session.execute(
        text("SELECT record, change_note FROM case_revisions WHERE case_study_id = :id"),
        {"id": case.id},
    ).one()
    assert b"canary-revision-5521" not in bytes(raw.record)
    assert b"Imported" not in bytes(raw.change_note)
    assert revisions.revision(case, 1).record["restricted_notes"] == "canary-revision-5521"


def test_a_draft_may_be_saved_incomplete(db):
    partner = join_partner("TRAFFIC")
    case = editing.create_case({"title": "Pangolin scales, half written"}, partner, partner.partner)
    assert case.status == "draft" and case.narrative is None and case.version == 1
    assert case.reference.startswith("CB-") and case.partner.acronym == "TRAFFIC"


def test_a_draft_still_checks_what_was_given(db):
    partner = join_partner("TRAFFIC")
    with pytest.raises(CaseInvalid) as invalid:
        editing.create_case({"country": "XX", "conventions": ["NOPE"]}, partner, partner.partner)
    assert set(invalid.value.errors) == {"country"}
    with pytest.raises(CaseInvalid) as invalid:
        editing.create_case({"conventions": ["NOPE"]}, partner, partner.partner)
    assert "conventions" in invalid.value.errors


def test_a_case_under_review_must_stay_complete(db):
    case = make_case(status="in_review")
    with pytest.raises(CaseInvalid) as invalid:
        editing.save_case(case, form_record(case, narrative=""), role_user("editor"), 1)
    assert "narrative" in invalid.value.errors
    assert case.version == 1 and case.narrative


def test_a_save_records_who_when_and_why(db):
    case = make_case(status="published")
    editor = role_user("editor")
    record = form_record(case, title="Ivory tusks in a timber container at Mombasa")
    editing.save_case(case, record, editor, 1, note="Typo in the title")
    latest = revisions.revisions_of(case)[0]
    assert (latest.number, latest.author_id, latest.change_note) == (
        2,
        editor.id,
        "Typo in the title",
    )
    assert latest.created_at is not None


def test_diff_is_field_by_field_and_word_by_word_for_long_text(db):
    case = make_case(narrative="Officers scanned the container and found tusks behind timber.")
    record = form_record(
        case,
        narrative="Officers scanned the reefer container and found tusks behind timber.",
        place="Kilindini harbour",
    )
    editing.save_case(case, record, role_user("editor"), 1)
    changes = {c.field: c for c in revisions.diff_revisions(case, 1, 2)}
    assert set(changes) == {"narrative", "place"}
    assert changes["place"].words is None
    assert ("insert", " reefer") in changes["narrative"].words
    assert not [p for p in changes["narrative"].words if p[0] == "delete" and p[1].strip()]


def test_restore_makes_an_earlier_revision_the_newest(db):
    case = make_case(title="First title")
    editor = role_user("editor")
    editing.save_case(case, form_record(case, title="Second title"), editor, 1)
    revisions.restore(case, 1, editor, version=2)
    assert case.title == "First title" and case.version == 3
    assert [r.number for r in revisions.revisions_of(case)] == [3, 2, 1]
    assert revisions.revisions_of(case)[0].change_note == "Restored revision 1."


def test_a_stale_save_is_refused_and_says_what_changed(db):
    case = make_case(title="Original title")
    first, second = role_user("editor"), role_user("admin")
    editing.save_case(case, form_record(case, title="Title by the first editor"), first, 1)
    mine = form_record(case, title="Title by the second editor")
    with pytest.raises(EditConflict) as conflict:
        editing.save_case(case, mine, second, 1)
    assert [c.field for c in conflict.value.changes] == ["title"]
    assert conflict.value.changes[0].after == "Title by the first editor"
    assert case.title == "Title by the first editor" and case.version == 2
    editing.save_case(case, mine, second, 2)  # having seen the difference, saved on top
    assert case.title == "Title by the second editor"
