"""A partner writes a case study on the web: drafts may be incomplete and are kept, errors sit
beside their fields and nothing typed is lost, submitting checks the whole case, and the
editors are told; a partner without an organisation is told why it cannot submit."""

import pytest
from sqlalchemy import select

from casebank.mail import outbox_messages
from casebank.models import CaseStudy
from casebank.services.cases import workflow
from tests.auth_actions import csrf_token
from tests.case_pages_helpers import form_fields, post_from
from tests.factories import join_partner, make_case, move_case, role_user


def latest_case(db):
    return db.session.scalar(select(CaseStudy).order_by(CaseStudy.id.desc()))


def test_a_partner_without_an_organisation_is_told_why_it_cannot_submit(auth, client):
    auth.login("partner")
    for page in ("/partner/cases", "/partner/cases/new"):
        html = client.get(page).get_data(as_text=True)
        assert "not linked to" in html and "organisation" in html
    assert 'name="title"' not in client.get("/partner/cases/new").get_data(as_text=True)


def test_the_form_has_the_officers_sections_and_labels_the_restricted_notes(auth, client):
    join_partner("TRAFFIC")
    auth.login("partner")
    html = client.get("/partner/cases/new").get_data(as_text=True)
    sections = ("The seizure", "The goods", "The route", "Detection and concealment",
                "Agencies", "The prosecution", "Lessons learned", "Public sources")  # fmt: skip
    for section in sections:
        assert f"<legend>{section}</legend>" in html
    assert "only vetted enforcement officers will read them" in html


def test_an_incomplete_draft_is_saved_and_can_be_continued(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    response = auth.post_form("/partner/cases/new", {"title": "Pangolin scales at Lagos"})
    assert response.status_code == 302
    case = latest_case(db)
    assert (case.title, case.status, case.partner.acronym) == (
        "Pangolin scales at Lagos",
        "draft",
        "TRAFFIC",
    )
    page = client.get(f"/partner/cases/{case.reference}/edit").get_data(as_text=True)
    assert 'value="Pangolin scales at Lagos"' in page


def test_errors_sit_beside_their_fields_and_nothing_typed_is_lost(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    fields = form_fields(country="XX", quantity="-3", narrative="Every word of this narrative.")
    response = auth.post_form("/partner/cases/new", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please correct 2 fields" in html
    assert 'id="country-error"' in html and 'id="quantity-error"' in html
    assert "Every word of this narrative." in html and 'value="XX"' in html
    assert 'value="Ivory tusks found in a timber container at Mombasa"' in html


def test_submitting_an_incomplete_draft_names_what_is_missing(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    auth.post_form("/partner/cases/new", {"title": "Half a case"})
    case = latest_case(db)
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "submit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "What happened" in html and "Seizure date" in html
    assert case.status == "draft"


def test_a_complete_draft_is_submitted_and_the_editors_are_told(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    auth.post_form("/partner/cases/new", form_fields())
    case = latest_case(db)
    before = len(outbox_messages())
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "submit"})
    assert response.status_code == 302 and case.status == "submitted"
    mails = [m.read_text() for m in outbox_messages()[before:]]
    assert any("To: editor@casebank.example.org" in m and case.reference in m for m in mails)
    assert "Submitted" in client.get(page).get_data(as_text=True)


def test_after_submission_the_partner_cannot_edit_but_may_withdraw(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="submitted", partner="TRAFFIC")
    auth.login("partner")
    page = f"/partner/cases/{case.reference}"
    assert client.get(f"{page}/edit").status_code == 404
    refused = post_from(client, page, f"{page}/transition", {"transition": "withdraw"})
    assert refused.status_code == 400 and case.status == "submitted"  # a reason is required
    data = {"transition": "withdraw", "reason": "Sent by mistake."}
    assert post_from(client, page, f"{page}/transition", data).status_code == 302
    assert case.status == "withdrawn"


def test_the_partner_cannot_publish_its_own_case(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="in_review", partner="TRAFFIC")
    auth.login("partner")
    page = f"/partner/cases/{case.reference}"
    data = {"transition": "publish", "access_level": "public"}
    response = post_from(client, page, f"{page}/transition", data)
    assert response.status_code == 400 and "Not possible now" in response.get_data(as_text=True)
    assert case.status == "in_review"


def test_changes_requested_reopen_the_form_and_the_partner_answers(auth, client, db):
    join_partner("TRAFFIC")
    case = make_case(status="in_review", partner="TRAFFIC")
    move_case(case, "request_changes", reason="Please name the court.")
    auth.login("partner")
    page = f"/partner/cases/{case.reference}"
    assert "Please name the court." in client.get(page).get_data(as_text=True)
    fields = form_fields(prosecution_status="convicted", court="Mombasa Law Courts", version="1")
    assert post_from(client, f"{page}/edit", f"{page}/edit", fields).status_code == 302
    assert case.court == "Mombasa Law Courts" and case.version == 2
    message = {"body": "Court added; thank you."}
    assert post_from(client, page, f"{page}/messages", message).status_code == 302
    assert (
        post_from(client, page, f"{page}/transition", {"transition": "submit"}).status_code == 302
    )
    assert case.status == "submitted"
    html = client.get(page).get_data(as_text=True)
    assert "Court added; thank you." in html and "Revision 2" in html


def test_the_history_shows_what_changed(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    auth.post_form("/partner/cases/new", {"title": "First words"})
    case = latest_case(db)
    edit = f"/partner/cases/{case.reference}/edit"
    post_from(client, edit, edit, {"title": "Better words", "version": "1"})
    html = client.get(f"/partner/cases/{case.reference}/compare?from=1&to=2").get_data(as_text=True)
    assert "<del>First words</del>" in html and "<ins>Better words</ins>" in html


BAD_INPUTS = [
    ("quantity", "1e20"),  # more than the column holds: PostgreSQL would refuse the write
    ("estimated_value", "99999999999999999999"),
    ("fine_amount", "-1"),
    ("quantity", "NaN"),
    ("seizure_date", "2021-02-30"),
    ("custodial_months", "9" * 30),
    ("title", "x" * 100000),
    ("hs_codes", "abc"),
    ("conventions", "<script>"),
    ("source_urls", "javascript:alert(1)"),
    ("country", "Kenya"),
]


@pytest.mark.parametrize(("name", "value"), BAD_INPUTS)
def test_every_bad_input_is_a_message_beside_its_field(auth, client, db, name, value):
    join_partner("TRAFFIC")
    auth.login("partner")
    response = auth.post_form("/partner/cases/new", form_fields(**{name: value}))
    assert response.status_code == 400
    assert f'id="{name}-error"' in response.get_data(as_text=True)


def test_personal_data_in_a_public_field_asks_for_confirmation(auth, client, db):
    join_partner("TRAFFIC")
    narrative = "The driver, Mr Daniel Kimani, declared the crates as machine parts."
    case = make_case(status="draft", partner="TRAFFIC", narrative=narrative)
    db.session.commit()  # the first answer below is a 400, which rolls back what is not
    auth.login("partner")
    page = f"/partner/cases/{case.reference}"
    response = post_from(client, page, f"{page}/transition", {"transition": "submit"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and case.status == "draft"
    assert "Possible personal data in public fields" in html and "Daniel Kimani" in html
    assert "Move it to the restricted notes" in html
    # Each finding leads to its field in the form, which has an element of that id.
    assert f'href="{page}/edit#narrative"' in html
    assert 'id="narrative"' in client.get(f"{page}/edit").get_data(as_text=True)
    assert html.count('value="submit"') == 1  # one submit button: "Confirm and submit"
    data = {"transition": "submit", "confirmed": "yes"}
    assert post_from(client, page, f"{page}/transition", data).status_code == 302
    assert case.status == "submitted"


def test_a_save_from_a_page_opened_before_submission_keeps_what_was_typed(auth, client, db):
    """The edit page was open in a second tab when the case was submitted (or an editor moved
    it on): saving it changes nothing, says why, and gives the typed text back."""
    join_partner("TRAFFIC")
    case = make_case(status="draft", partner="TRAFFIC")
    auth.login("partner")
    edit = f"/partner/cases/{case.reference}/edit"
    token = csrf_token(client.get(edit).get_data(as_text=True))
    workflow.apply(case, "submit", role_user("partner"))
    db.session.commit()
    fields = {**form_fields(), "csrf_token": token, "version": str(case.version)}
    fields["narrative"] = "Three paragraphs typed with care about the quokkavine consignment."
    response = client.post(edit, data=fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "quokkavine" in html and "no longer be edited" in html and "Submitted" in html
    assert "quokkavine" not in (case.narrative or "") and case.status == "submitted"


def test_the_form_offers_the_hs_code_lookup(auth, client):
    join_partner("TRAFFIC")
    auth.login("partner")
    html = client.get("/partner/cases/new").get_data(as_text=True)
    assert 'href="/hs-codes"' in html and "Look up an HS code" in html
