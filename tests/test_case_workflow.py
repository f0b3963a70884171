"""The review workflow: every transition, by every role, from every state; what each one does
(status, published_at, access level, mail, audit, search); and nothing else writes a status."""

import itertools

import pytest
from sqlalchemy import select

from casebank.mail import outbox_messages
from casebank.models import AuditEvent, CaseMessage
from casebank.models.case_study import StatusWriteRefused
from casebank.models.vocab import WorkflowStatus
from casebank.services.cases import workflow
from casebank.services.cases.workflow import TransitionInvalid, TransitionRefused
from tests.factories import join_partner, make_case, make_partner_user, move_case, role_user
from tests.search_helpers import references, search

STATES = [s.value for s in WorkflowStatus]
# The specification, restated independently of the table it checks:
# transition -> (states it leaves, state it reaches, roles that may make it, reason required).
EDITORS = {"editor", "admin"}
SPEC = {
    "submit": ({"draft", "changes_requested"}, "submitted", {"submitter"}, False),
    "start_review": ({"submitted"}, "in_review", EDITORS, False),
    "request_changes": ({"submitted", "in_review"}, "changes_requested", EDITORS, True),
    "publish": ({"submitted", "in_review"}, "published", EDITORS, False),
    "reject": ({"submitted", "in_review"}, "rejected", EDITORS, True),
    "unpublish": ({"published"}, "withdrawn", EDITORS, True),
    "withdraw": (
        {"draft", "submitted", "in_review", "changes_requested"}, "withdrawn", {"submitter"}, True
    ),
    "reopen": ({"withdrawn", "rejected"}, "in_review", EDITORS, False),
    "send_to_review": ({"draft", "changes_requested"}, "in_review", EDITORS, False),
}  # fmt: skip
ROLES = ["submitter", "other_partner", "partner_without_organisation", "officer", "editor", "admin"]


@pytest.fixture
def users(db):
    return {
        "submitter": join_partner("TRAFFIC"),
        "other_partner": make_partner_user("other@partner.example.org", "WCO"),
        "partner_without_organisation": make_partner_user("alone@partner.example.org"),
        "officer": role_user("officer"),
        "editor": role_user("editor"),
        "admin": role_user("admin"),
    }


def test_the_table_is_the_specification():
    table = {
        t.name: ({s.value for s in t.sources}, t.target.value, t.reason_required)
        for t in workflow.TRANSITIONS.values()
    }
    assert table == {name: (f, to, reason) for name, (f, to, _, reason) in SPEC.items()}


@pytest.mark.parametrize("state", STATES)
def test_every_transition_by_every_role_from_this_state(db, users, state):
    case = make_case(status=state, partner="TRAFFIC", restricted_notes="Officers only.")
    for name, role in itertools.product(SPEC, ROLES):
        sources, target, may, _ = SPEC[name]
        expected = state in sources and role in may
        user = users[role]
        assert (name in {t.name for t in workflow.allowed_transitions(case, user)}) == expected
        savepoint = db.session.begin_nested()
        try:
            workflow.apply(case, name, user, reason="A reason.", access_level="restricted")
        except TransitionRefused:
            assert not expected, (name, role, state)
            assert case.status == state
        else:
            assert expected, (name, role, state)
            assert case.status == target
        savepoint.rollback()


@pytest.mark.parametrize("name", [n for n, spec in SPEC.items() if spec[3]])
def test_a_reason_is_required(users, name):
    sources, _, may, _ = SPEC[name]
    case = make_case(status=sorted(sources)[0], partner="TRAFFIC")
    user = users["submitter" if "submitter" in may else "editor"]
    with pytest.raises(TransitionInvalid) as refused:
        workflow.apply(case, name, user, reason="   ")
    assert "reason" in refused.value.errors
    assert case.status == sorted(sources)[0]


def test_the_reason_joins_the_conversation(users):
    case = make_case(status="in_review", partner="TRAFFIC")
    workflow.apply(case, "request_changes", users["editor"], reason="Add the court's name.")
    messages = case_messages(case)
    assert [(m.body, m.internal) for m in messages] == [("Add the court's name.", False)]


def case_messages(case):
    from casebank.extensions import db

    return list(db.session.scalars(select(CaseMessage).filter_by(case_study_id=case.id)))


def test_publishing_sets_published_at_and_the_chosen_access_level(users):
    case = make_case(status="in_review", partner="TRAFFIC")
    assert case.published_at is None
    workflow.apply(case, "publish", users["editor"], access_level="restricted")
    assert case.status == "published" and case.access_level == "restricted"
    assert case.published_at is not None
    workflow.apply(case, "unpublish", users["editor"], reason="Court order.")
    assert case.published_at is None


def test_publishing_needs_an_access_level_choice(users):
    case = make_case(status="in_review")
    with pytest.raises(TransitionInvalid) as refused:
        workflow.apply(case, "publish", users["editor"], access_level="everyone")
    assert "access_level" in refused.value.errors


def test_public_without_notes_is_refused_when_the_case_has_restricted_notes(users):
    case = make_case(status="in_review", restricted_notes="The informant's name.")
    with pytest.raises(TransitionInvalid) as refused:
        workflow.apply(case, "publish", users["editor"], access_level="public")
    assert "restricted notes" in refused.value.errors["access_level"][0]
    workflow.apply(case, "publish", users["editor"], access_level="public_with_notes")
    assert case.access_level == "public" and case.restricted_notes == "The informant's name."


def test_an_incomplete_draft_cannot_go_to_review(users):
    case = make_case(status="draft", partner="TRAFFIC")
    case.narrative = None
    with pytest.raises(TransitionInvalid) as refused:
        workflow.apply(case, "submit", users["submitter"])
    assert "narrative" in refused.value.errors
    assert case.status == "draft"


def test_nothing_but_the_workflow_writes_a_status():
    case = make_case(status="draft")
    with pytest.raises(StatusWriteRefused):
        case.status = "published"
    assert case.status == "draft"


def test_transitions_mail_the_other_side(users):
    case = make_case(status="draft", partner="TRAFFIC")
    before = len(outbox_messages())
    workflow.apply(case, "submit", users["submitter"])
    workflow.apply(case, "request_changes", users["editor"], reason="Name the port, please.")
    mails = [m.read_text() for m in outbox_messages()[before:]]
    to_editors = [m for m in mails if "To: editor@casebank.example.org" in m]
    to_partner = [m for m in mails if "To: partner@casebank.example.org" in m]
    assert len(to_editors) == 1 and "Submitted" in to_editors[0]
    assert len(to_partner) == 1 and "Name the port, please." in to_partner[0]
    assert not any("other@partner.example.org" in m for m in mails)


def test_transitions_are_audited(db, users):
    case = make_case(status="draft", partner="TRAFFIC")
    workflow.apply(case, "submit", users["submitter"])
    workflow.apply(case, "publish", users["editor"], access_level="public")
    events = db.session.scalars(
        select(AuditEvent).filter_by(target_id=str(case.id)).order_by(AuditEvent.id)
    )
    actions = [(e.action, e.actor_id) for e in events if e.action.startswith("case.")]
    assert actions[-2:] == [
        ("case.submit", users["submitter"].id),
        ("case.publish", users["editor"].id),
    ]


WORD = "quetzalmorph"


def test_search_follows_publication_and_withdrawal(db, users):
    case = make_case(status="draft", partner="TRAFFIC", narrative=f"A {WORD} in a crate.")
    db.session.commit()
    assert references(search(WORD)) == []
    move_case(case, "submit", user=users["submitter"])
    move_case(case, "publish", access_level="public")
    db.session.commit()
    assert references(search(WORD)) == [case.reference]
    move_case(case, "unpublish")
    db.session.commit()
    assert references(search(WORD)) == []


def test_the_public_page_follows_the_workflow(client, db, users):
    # Each step commits (a savepoint here): a refused request rolls back what is not committed.
    case = make_case(status="in_review", partner="TRAFFIC")
    db.session.commit()
    assert client.get(f"/cases/{case.reference}").status_code == 404
    move_case(case, "publish", access_level="public")
    db.session.commit()
    assert client.get(f"/cases/{case.reference}").status_code == 200
    move_case(case, "unpublish")
    db.session.commit()
    assert client.get(f"/cases/{case.reference}").status_code == 404
    move_case(case, "reopen", "reject")
    db.session.commit()
    assert client.get(f"/cases/{case.reference}").status_code == 404
