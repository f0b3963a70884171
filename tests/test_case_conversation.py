"""The conversation on a case study: editors and the submitting organisation write to each
other (the other side is mailed that there is a message, not its text); editors' internal notes
are never shown to the organisation; nobody else takes part."""

import pytest

from casebank.mail import outbox_messages
from casebank.services.cases import conversation
from casebank.services.cases.conversation import MessageRefused
from tests.case_pages_helpers import post_from
from tests.factories import join_partner, make_case, make_partner_user, role_user


@pytest.fixture
def case(db):
    join_partner("TRAFFIC")
    return make_case(status="submitted", partner="TRAFFIC")


def test_the_organisation_and_the_editors_write_to_each_other(case):
    partner, editor = role_user("partner"), role_user("editor")
    before = len(outbox_messages())
    conversation.post_message(case, partner, "Is anything missing?")
    conversation.post_message(case, editor, "The court's name, please.")
    bodies = [m.body for m in conversation.messages_for(case, partner)]
    assert bodies == ["Is anything missing?", "The court's name, please."]
    mails = [m.read_text() for m in outbox_messages()[before:]]
    assert ["To: editor@casebank.example.org" in m for m in mails] == [True, False]
    assert "To: partner@casebank.example.org" in mails[1]
    assert not any("court's name" in m or "anything missing" in m for m in mails)


def test_internal_notes_are_for_editors_only(case):
    partner, editor = role_user("partner"), role_user("editor")
    before = len(outbox_messages())
    conversation.post_message(case, editor, "Looks copied from a press release.", internal=True)
    assert len(outbox_messages()) == before  # nobody is mailed about a note
    assert [m.internal for m in conversation.messages_for(case, editor)] == [True]
    assert conversation.messages_for(case, partner) == []
    with pytest.raises(MessageRefused):
        conversation.post_message(case, partner, "Let me see the notes.", internal=True)


@pytest.mark.parametrize("who", ["other organisation", "officer", "no organisation"])
def test_nobody_else_takes_part(case, who):
    user = {
        "other organisation": lambda: make_partner_user("rival@partner.example.org", "WCO"),
        "officer": lambda: role_user("officer"),
        "no organisation": lambda: make_partner_user("alone@partner.example.org"),
    }[who]()
    with pytest.raises(MessageRefused):
        conversation.post_message(case, user, "Hello.")


@pytest.mark.parametrize("body", ["", "   ", "x" * 10001])
def test_an_empty_or_overlong_message_is_refused(case, body):
    with pytest.raises(MessageRefused):
        conversation.post_message(case, role_user("editor"), body)


def test_a_blank_message_on_the_page_is_an_error_not_a_crash(auth, client, case):
    auth.login("partner")
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/messages", {"body": "   "})
    assert response.status_code == 400
