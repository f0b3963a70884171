"""A canary typed into the restricted notes of a partner's submission never reaches the public
or another organisation, at any stage from draft to withdrawal: not on a page, in a search hit,
an API answer, a public export or a mail. Officers (and the editors) do read it once published."""

from casebank.mail import outbox_messages
from casebank.services.case_transfer import export_records
from tests.auth_actions import AuthActions
from tests.case_pages_helpers import form_fields, post_from
from tests.factories import join_partner, make_partner_user
from tests.search_helpers import Officer, references, search

CANARY = "canary-notes-9931"
WORD = "sitatungaplume"


def leaks(app, reference, mails_before):
    """Every place the canary reached but must not have."""
    anonymous, other = app.test_client(), app.test_client()
    AuthActions(app, other).login(email="rival@partner.example.org")
    pages = {
        "public page": anonymous.get(f"/cases/{reference}"),
        "public list": anonymous.get("/cases"),
        "public search": anonymous.get(f"/search?q={WORD}"),
        "other partner's list": other.get("/partner/cases"),
        "other partner's page": other.get(f"/partner/cases/{reference}"),
    }
    found = [place for place, page in pages.items() if CANARY in page.get_data(as_text=True)]
    # Searching for the canary echoes it; what must not come back is the case.
    searches = {
        "search for the canary": anonymous.get(f"/search?q={CANARY}"),
        "api search for the canary": anonymous.get(f"/api/v1/search?q={CANARY}"),
        "other partner's search": other.get(f"/search?q={CANARY}"),
    }
    found += [place for place, page in searches.items() if reference in page.get_data(as_text=True)]
    if CANARY in str(export_records(public_only=True)):
        found.append("public export")
    if any(CANARY in m.read_text() for m in outbox_messages()[mails_before:]):
        found.append("mails")
    return found


def test_the_restricted_notes_never_leave_the_officers(app, auth, client, db):
    join_partner("TRAFFIC")
    make_partner_user("rival@partner.example.org", "WCO")
    mails_before = len(outbox_messages())
    auth.login("partner")
    fields = form_fields(narrative=f"A {WORD} consignment.", restricted_notes=f"Driver: {CANARY}")
    response = auth.post_form("/partner/cases/new", fields)
    reference = response.location.rsplit("/", 2)[-2]
    partner_page = f"/partner/cases/{reference}"
    assert CANARY in client.get(f"{partner_page}/edit").get_data(as_text=True)  # its own
    stages = [("draft", leaks(app, reference, mails_before))]
    post_from(client, partner_page, f"{partner_page}/transition", {"transition": "submit"})
    db.session.commit()
    stages.append(("submitted", leaks(app, reference, mails_before)))
    editor = app.test_client()  # each side in its own browser; a TOTP code works once
    AuthActions(app, editor).login("editor")
    editor_page = f"/editorial/cases/{reference}"
    assert CANARY in editor.get(editor_page).get_data(as_text=True)
    for transition, access_level in (
        ("request_changes", None),
        ("submit", None),
        ("publish", "public_with_notes"),
        ("unpublish", None),
    ):
        data = {"transition": transition, "reason": "As agreed.", "access_level": access_level}
        data = {k: v for k, v in data.items() if v}
        if transition == "submit":
            response = post_from(client, partner_page, f"{partner_page}/transition", data)
        else:
            response = post_from(editor, editor_page, f"{editor_page}/transition", data)
        assert response.status_code == 302, transition
        db.session.commit()  # the search index follows commits
        stages.append((transition, leaks(app, reference, mails_before)))
        if transition == "publish":
            assert references(search(WORD)) == [reference]  # published: found, notes hidden
            assert references(search(CANARY, user=Officer())) == [reference]
    assert [(stage, found) for stage, found in stages if found] == []
