"""A partner user belongs to a partner organisation: given on the command line, set or cleared
by an admin (audited), named in a request for partner access and given by its approval."""

import pytest
from sqlalchemy import select

from casebank.models import AccessRequest, AuditEvent
from casebank.services import accounts
from tests.auth_actions import PASSWORD, ROLE_USERS, csrf_token
from tests.test_accounts import GOOD_REQUEST

PARTNER_REQUEST = {**GOOD_REQUEST, "role_wanted": "partner", "partner": "BRS"}


def partner_user():
    return accounts.find_user(ROLE_USERS["partner"][0])


def last_event(db, action):
    return db.session.scalar(
        select(AuditEvent).filter_by(action=action).order_by(AuditEvent.id.desc())
    )


# --- command line ---------------------------------------------------------------------------


def test_cli_creates_a_user_of_a_partner_organisation(runner, db):
    result = runner.invoke(
        args=["casebank", "user", "create", "ozone@partner.example.org", "--role", "partner",
              "--partner", "unep-ozonaction", "--password-stdin"],
        input="Tortoise-Ferry-Mombasa-42\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "of UNEP-OZONACTION" in result.output
    user = accounts.find_user("ozone@partner.example.org")
    assert user.partner.acronym == "UNEP-OZONACTION"
    assert last_event(db, "account.created").details["partner"] == "UNEP-OZONACTION"


def test_cli_refuses_an_unknown_partner_and_names_the_known_ones(runner, db):
    result = runner.invoke(
        args=["casebank", "user", "create", "nobody@partner.example.org", "--role", "partner",
              "--partner", "NOPE", "--password-stdin"],
        input="Tortoise-Ferry-Mombasa-42\n",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Unknown partner organisation 'NOPE'" in result.output
    assert "WCO" in result.output
    assert accounts.find_user("nobody@partner.example.org") is None


# --- the admin's user page ------------------------------------------------------------------


def post_partner(auth, client, user, acronym):
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    return client.post(
        f"/admin/users/{user.id}/partner",
        data={"csrf_token": csrf_token(page), "partner": acronym, "save_partner": "y"},
    )


def test_admin_sets_and_clears_the_partner_organisation_audited(auth, client, db):
    user = partner_user()
    assert user.partner is None
    auth.login("admin")
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'name="partner"' in page and "World Customs Organization (WCO)" in page
    assert "Without one, this partner cannot submit" in page

    response = post_partner(auth, client, user, "TRAFFIC")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.partner.acronym == "TRAFFIC"
    event = last_event(db, "account.partner_changed")
    assert event.details == {"before": None, "after": "TRAFFIC"}
    assert event.target_id == str(user.id)
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert '<option selected value="TRAFFIC">' in page

    post_partner(auth, client, user, "")
    db.session.refresh(user)
    assert user.partner is None
    assert last_event(db, "account.partner_changed").details == {
        "before": "TRAFFIC", "after": None
    }  # fmt: skip


def test_an_unknown_partner_on_the_user_page_is_refused(auth, client, db):
    auth.login("admin")
    assert post_partner(auth, client, partner_user(), "NOPE").status_code == 400
    assert partner_user().partner is None


def test_stale_admin_must_reenter_the_password_before_a_partner_change(auth, client, db):
    auth.login("admin")
    with client.session_transaction() as session:
        session["fs_paa"] = session["fs_paa"] - 3600
    response = post_partner(auth, client, partner_user(), "WCO")
    assert "/account/verify" in response.location
    # back to the user's page after verifying, not to the POST-only URL (a GET there is 405)
    assert response.location.endswith(f"next=/admin/users/{partner_user().id}")
    assert partner_user().partner is None


# --- requests for partner access ------------------------------------------------------------


def test_the_request_form_lists_the_partner_organisations_without_script(client):
    page = client.get("/account/request-access").get_data(as_text=True)
    assert '<select aria-describedby="partner-help"' in page
    assert '<option value="BRS">' in page
    assert "Not a partner organisation" in page


@pytest.mark.parametrize("partner", ["", "NOPE"])
def test_a_request_for_partner_access_must_name_a_known_organisation(auth, db, partner):
    response = auth.post_form("/account/request-access", {**PARTNER_REQUEST, "partner": partner})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ("Choose the partner organisation" if partner == "" else "Not a valid choice") in html
    assert GOOD_REQUEST["justification"] in html  # what was typed is kept
    assert '<option selected value="partner">' in html
    assert db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"])) is None


def test_the_chosen_organisation_is_kept_when_another_field_is_wrong(auth, db):
    response = auth.post_form("/account/request-access", {**PARTNER_REQUEST, "name": ""})
    html = response.get_data(as_text=True)
    assert "This field is required" in html
    assert '<option selected value="BRS">' in html


def test_a_request_for_partner_access_records_the_organisation(auth, db):
    response = auth.post_form("/account/request-access", PARTNER_REQUEST)
    assert response.location.endswith("/account/request-access/sent")
    queued = db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"]))
    assert queued.partner.acronym == "BRS"


def test_a_request_for_other_access_keeps_no_organisation(auth, db):
    auth.post_form("/account/request-access", {**GOOD_REQUEST, "partner": "BRS"})
    queued = db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"]))
    assert queued.partner is None


def test_approval_ties_the_new_partner_to_the_organisation_named(auth, client, db):
    auth.post_form("/account/request-access", PARTNER_REQUEST)
    request = db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"]))
    auth.login("admin")
    page = client.get(f"/admin/access-requests/{request.id}").get_data(as_text=True)
    assert "Secretariat of the Basel, Rotterdam and Stockholm Conventions (BRS)" in page
    auth.post_form(f"/admin/access-requests/{request.id}", {"approve": "y"})
    user = accounts.find_user(GOOD_REQUEST["email"])
    assert user.has_role("partner") and user.partner.acronym == "BRS"


def test_approval_gives_an_existing_user_the_organisation_named(app, db):
    officer = accounts.create_user("both@customs.example.org", ["officer"], password=PASSWORD)
    request = accounts.request_access(
        {**PARTNER_REQUEST, "email": "both@customs.example.org",
         "partner": accounts.partner_named("WCO")}
    )  # fmt: skip
    admin = accounts.find_user(ROLE_USERS["admin"][0])
    with app.test_request_context():
        accounts.approve_request(request, admin)
    assert officer.has_role("partner") and officer.partner.acronym == "WCO"
    assert last_event(db, "account.partner_changed").details == {"before": None, "after": "WCO"}
