"""Editors review case studies on the web: a queue with counts and filters, claiming, the
transitions allowed now, the access level chosen on publishing, internal notes, editing a
published case (a new revision; the public page says it was updated), the stale-edit conflict
and restoring a revision."""

from datetime import datetime

from casebank.mail import outbox_messages
from casebank.models import CaseStudy
from tests.auth_actions import AuthActions
from tests.case_pages_helpers import form_fields, post_from
from tests.factories import join_partner, make_case, role_user
from tests.query_counts import count_queries


def review(case):
    return f"/editorial/cases/{case.reference}"


def test_the_queue_shows_waiting_cases_and_counts_per_status(auth, client):
    waiting = make_case(status="submitted", partner="TRAFFIC", title="Waiting canary case")
    draft = make_case(status="draft", partner="TRAFFIC", title="Draft canary case")
    auth.login("editor")
    html = client.get("/editorial/cases").get_data(as_text=True)
    assert waiting.reference in html and draft.reference not in html
    assert "Submitted: " in html and "Published: " in html
    drafts = client.get("/editorial/cases?status=draft").get_data(as_text=True)
    assert draft.reference in drafts and waiting.reference not in drafts


def test_the_queue_filters_by_partner_and_convention_and_ignores_nonsense(auth, client):
    traffic = make_case(status="submitted", partner="TRAFFIC")
    wco = make_case(status="submitted", partner="WCO", conventions=["CITES"])
    auth.login("editor")
    html = client.get("/editorial/cases?partner=WCO").get_data(as_text=True)
    assert wco.reference in html and traffic.reference not in html
    html = client.get("/editorial/cases?convention=MONTREAL&partner=<b>").get_data(as_text=True)
    assert wco.reference not in html and "is not a value we know; that filter was ignored" in html
    assert client.get("/editorial/cases?older_than=abc&status=zzz").status_code == 200


def test_an_editor_claims_a_case(auth, client):
    case = make_case(status="submitted")
    auth.login("editor")
    editor = role_user("editor")
    page = client.get(review(case)).get_data(as_text=True)
    assert f'name="editor_id" value="{editor.id}"' in page and "Claim: I review it" in page
    data = {"editor_id": str(editor.id)}
    assert post_from(client, review(case), f"{review(case)}/assign", data).status_code == 302
    assert case.assigned_editor == editor
    assert "Claim: I review it" not in client.get(review(case)).get_data(as_text=True)
    mine = client.get("/editorial/cases?mine=1").get_data(as_text=True)
    assert case.reference in mine


def test_only_the_transitions_allowed_now_are_offered(auth, client):
    case = make_case(status="submitted")
    auth.login("editor")
    html = client.get(review(case)).get_data(as_text=True)
    for offered in ("start_review", "request_changes", "publish", "reject"):
        assert f'value="{offered}"' in html
    for not_offered in ("unpublish", "reopen", "submit", "withdraw"):
        assert f'value="{not_offered}"' not in html


def test_publishing_with_a_chosen_access_level(auth, client):
    case = make_case(status="in_review", restricted_notes="Officers only.")
    auth.login("editor")
    data = {"transition": "publish", "access_level": "restricted"}
    assert post_from(client, review(case), f"{review(case)}/transition", data).status_code == 302
    assert case.status == "published" and case.access_level == "restricted"
    assert client.get(f"/cases/{case.reference}").status_code == 404


def test_a_reason_is_asked_for_and_the_form_says_so(auth, client):
    case = make_case(status="in_review")
    auth.login("editor")
    response = post_from(
        client, review(case), f"{review(case)}/transition", {"transition": "reject"}
    )
    assert response.status_code == 400 and "Give a reason" in response.get_data(as_text=True)
    assert case.status == "in_review"


def test_internal_notes_stay_with_the_editors(auth, client):
    join_partner("TRAFFIC")
    case = make_case(status="submitted", partner="TRAFFIC")
    auth.login("editor")
    before = len(outbox_messages())
    note = {"body": "Internal-canary: check this with the CITES MA.", "internal": "1"}
    post_from(client, review(case), f"{review(case)}/messages", note)
    message = {"body": "Could you add the vessel's flag state?", "internal": "0"}
    post_from(client, review(case), f"{review(case)}/messages", message)
    mails = [m.read_text() for m in outbox_messages()[before:]]
    assert len(mails) == 1 and "To: partner@casebank.example.org" in mails[0]
    assert "Internal-canary" not in mails[0] and "flag state" not in mails[0]
    assert "Internal-canary" in client.get(review(case)).get_data(as_text=True)
    auth.logout()
    auth.login("partner")
    html = client.get(f"/partner/cases/{case.reference}").get_data(as_text=True)
    assert "flag state" in html and "Internal-canary" not in html


def test_editing_a_published_case_keeps_a_revision_and_the_public_page_says_updated(auth, client):
    case = make_case(status="published")
    assert "Last updated" not in client.get(f"/cases/{case.reference}").get_data(as_text=True)
    auth.login("editor")
    fields = form_fields(
        title="Ivory tusks in timber at Mombasa", change_note="Shorter title", version="1"
    )
    assert post_from(client, review(case), review(case), fields).status_code == 302
    assert case.title == "Ivory tusks in timber at Mombasa" and case.version == 2
    assert "Shorter title" in client.get(review(case)).get_data(as_text=True)
    auth.logout()
    public = client.get(f"/cases/{case.reference}").get_data(as_text=True)
    assert "Ivory tusks in timber at Mombasa" in public and "Last updated" in public


def test_a_published_case_must_stay_complete(auth, client):
    case = make_case(status="published")
    auth.login("editor")
    fields = form_fields(narrative="", version="1")
    response = post_from(client, review(case), review(case), fields)
    assert response.status_code == 400 and 'id="narrative-error"' in response.get_data(as_text=True)
    assert case.narrative


def test_two_editors_saving_the_same_case(auth, client, app):
    case = make_case(status="in_review", title="Original title")
    auth.login("editor")
    first = form_fields(title="The first editor's title", version="1")
    assert post_from(client, review(case), review(case), first).status_code == 302
    second = form_fields(title="The second editor's title", narrative="Second's narrative.")
    second["version"] = "1"  # opened before the first editor saved
    response = post_from(client, review(case), review(case), second)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "Changed since you opened it" in html
    assert "The first editor&#39;s title" in html  # what the other one saved
    assert 'value="The second editor&#39;s title"' in html  # nothing typed is lost
    assert "Second&#39;s narrative." in html
    assert 'name="version" type="hidden" value="2"' in html
    assert case.title == "The first editor's title"
    second["version"] = "2"  # saving again after seeing the difference
    assert post_from(client, review(case), review(case), second).status_code == 302
    assert case.title == "The second editor's title"


def test_restoring_a_revision(auth, client):
    case = make_case(status="in_review", title="First title")
    auth.login("editor")
    post_from(client, review(case), review(case), form_fields(title="Worse title", version="1"))
    diff = client.get(f"{review(case)}/compare?from=1&to=2").get_data(as_text=True)
    assert "<del>First title</del>" in diff and "<ins>Worse title</ins>" in diff
    restore = f"{review(case)}/revisions/1/restore"
    assert post_from(client, review(case), restore, {"version": "2"}).status_code == 302
    assert case.title == "First title" and case.version == 3
    stale = post_from(client, review(case), restore, {"version": "2"}, follow=True)
    assert "changed since you opened it" in stale.get_data(as_text=True) and case.version == 3


def test_editors_write_case_studies_directly(auth, client, db):
    auth.login("editor")
    fields = {**form_fields(), "partner": "WCO"}
    response = auth.post_form("/editorial/cases/new", fields)
    assert response.status_code == 302
    reference = response.location.rsplit("/", 1)[1]
    page = f"/editorial/cases/{reference}"
    post_from(client, page, f"{page}/transition", {"transition": "send_to_review"})
    data = {"transition": "publish", "access_level": "public"}
    assert post_from(client, page, f"{page}/transition", data).status_code == 302
    assert client.get(f"/cases/{reference}").status_code == 200


def test_the_age_filter_keeps_cases_untouched_for_long(auth, client, db):
    old = make_case(status="submitted")
    fresh = make_case(status="submitted")
    db.session.execute(  # a bulk update leaves updated_at as written
        CaseStudy.__table__.update()
        .where(CaseStudy.id == old.id)
        .values(updated_at=datetime(2020, 1, 1))
    )
    auth.login("editor")
    html = client.get("/editorial/cases?older_than=30").get_data(as_text=True)
    assert old.reference in html and fresh.reference not in html


def test_the_queue_and_the_partner_list_load_in_a_bounded_number_of_queries(auth, client, db):
    join_partner("TRAFFIC")
    editor, partner = client, client.application.test_client()
    auth.login("editor")
    AuthActions(client.application, partner).login("partner")
    pages = ((editor, "/editorial/cases?status=all"), (partner, "/partner/cases"))

    def counts():
        return [count_queries(db, lambda c=c, p=p: c.get(p)) for c, p in pages]

    make_case(status="submitted", partner="TRAFFIC")
    db.session.commit()  # here, so that the requests measured do not index the new cases
    counts()  # the first requests of a session also write the session registry
    db.session.expire_all()
    few = counts()
    for acronym in ("WCO", "BRS", "OPCW", "INTERPOL", "TRAFFIC"):  # each a partner to load
        make_case(status="submitted", partner=acronym)
    db.session.commit()
    db.session.expire_all()  # nothing already loaded may hide a query per row
    assert counts() == few


def test_an_unknown_partner_makes_the_secretariats_own_case(auth, client, db):
    auth.login("editor")
    response = auth.post_form("/editorial/cases/new", {**form_fields(), "partner": "W\x00CO"})
    assert response.status_code == 302
    reference = response.location.rsplit("/", 1)[1]
    assert db.session.scalar(db.select(CaseStudy).filter_by(reference=reference)).partner is None


def test_only_an_editor_can_be_assigned(auth, client):
    case = make_case(status="submitted")
    auth.login("editor")
    data = {"editor_id": str(role_user("officer").id)}
    assert post_from(client, review(case), f"{review(case)}/assign", data).status_code == 400
    assert case.assigned_editor is None


def test_a_transition_from_a_stale_page_says_why_it_did_nothing(auth, client):
    case = make_case(status="in_review")
    auth.login("editor")
    data = {"transition": "publish", "access_level": "public"}
    assert post_from(client, review(case), f"{review(case)}/transition", data).status_code == 302
    again = post_from(client, review(case), f"{review(case)}/transition", data)
    html = again.get_data(as_text=True)
    assert again.status_code == 400 and "Not possible now: the case study is Published" in html
