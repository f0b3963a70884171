"""Accounts: login, lockout, two-factor, passwords, invitations, access expiry (sessions:
test_sessions.py)."""

import re
from datetime import date, timedelta

import pyotp
import pytest
from sqlalchemy import select

from casebank.auth.passwords import password_problems
from casebank.mail import outbox_messages
from casebank.models import AccessRequest, User
from casebank.services import accounts
from tests.auth_actions import PASSWORD, ROLE_USERS, authenticator_key, csrf_token, totp_code

OFFICER = ROLE_USERS["officer"][0]


def last_mail():
    messages = outbox_messages()
    assert messages, "no mail in the outbox"
    return messages[-1].read_text()


def link_in(mail):
    return re.search(r"http://localhost(/\S+)", mail).group(1)


def is_logged_in(client):
    return client.get("/account/").status_code == 200


# --- login -----------------------------------------------------------------------------------


def test_officer_logs_in_with_password_and_totp(auth, client):
    response = auth.login("officer")
    assert response.status_code == 302
    assert is_logged_in(client)


def test_wrong_password_and_unknown_account_get_the_same_answer(auth):
    wrong = auth.login("officer", password="Not-The-Password-1")
    unknown = auth.login(email="nobody@casebank.example.org")
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert wrong.status_code == unknown.status_code == 200
    assert strip(wrong) == strip(unknown)
    assert "Wrong e-mail address or password." in strip(wrong)


# Lockout: tests/test_login_throttling.py.


def test_login_is_rate_limited_per_account(auth):
    answers = [auth.login("partner", password=f"Wrong-Password-{i}").status_code for i in range(12)]
    assert 429 in answers


def test_totp_code_cannot_be_replayed(app, auth, client):
    auth.login("officer")
    code_used = totp_code(app, accounts.find_user(OFFICER))
    auth.logout()
    response = auth.post_form("/account/login", {"email": OFFICER, "password": PASSWORD})
    assert "/tf-validate" in response.location
    response = auth.post_form("/account/tf-validate", {"code": code_used})
    assert not is_logged_in(client)


@pytest.mark.parametrize("role", ["officer", "partner", "editor", "admin"])
def test_every_role_without_two_factor_must_enrol_before_anything(auth, client, db, role):
    email = f"new.{role}@casebank.example.org"
    accounts.create_user(email, [role], password=PASSWORD)
    db.session.commit()
    response = auth.post_form("/account/login", {"email": email, "password": PASSWORD})
    assert "/tf-setup" in response.location
    assert not is_logged_in(client)
    assert client.get("/restricted/").status_code in (302, 404)


def test_a_partner_enrols_an_authenticator_at_the_first_login_then_must_answer_it(
    app, auth, client, db
):
    email = "first.login@partner.example.org"
    accounts.create_user(email, ["partner"], password=PASSWORD)
    db.session.commit()
    auth.post_form("/account/login", {"email": email, "password": PASSWORD})
    page = auth.post_form("/account/tf-setup", {"setup": "authenticator"})
    key = authenticator_key(page.get_data(as_text=True))
    code = pyotp.TOTP(key.replace("-", "")).now()
    auth.post_form("/account/tf-validate", {"code": code})
    assert is_logged_in(client)
    assert accounts.find_user(email).tf_primary_method == "authenticator"
    auth.logout()
    response = auth.post_form("/account/login", {"email": email, "password": PASSWORD})
    assert "/tf-validate" in response.location  # the password alone no longer opens the account
    assert not is_logged_in(client)


def test_next_only_redirects_within_the_site(auth, client):
    page = client.get("/account/login?next=https://evil.example.org/")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/account/login?next=https://evil.example.org/",
        data={"csrf_token": token, "email": ROLE_USERS["partner"][0], "password": PASSWORD},
    )
    assert "evil.example.org" not in (response.location or "")
    assert client.get("/account/login?next=/account/").status_code == 200


def test_anonymous_visitor_is_sent_to_login_with_a_local_next(client):
    response = client.get("/restricted/cases")
    assert response.status_code == 302
    assert response.location.startswith("/account/login?next=/restricted/cases")


def test_forms_without_csrf_token_are_rejected(client):
    response = client.post("/account/login", data={"email": OFFICER, "password": PASSWORD})
    assert response.status_code == 400
    response = client.post("/account/request-access", data={"name": "x"})
    assert response.status_code == 400


# --- passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["short-1A", "password1234", "P@ssw0rd2024!", "aaaaaaaaaaaa", "123456789012", "abcabcabcabc"],
)
def test_weak_passwords_are_refused(password):
    assert password_problems(password)


def test_a_long_unusual_password_is_accepted():
    assert password_problems("Tortoise-Ferry-Mombasa-42") == []


@pytest.mark.parametrize(
    "password", ["Casebank-Customs-2026", "GreenCustoms#1!!", "ozone-CITES-2026!"]
)
def test_passwords_built_from_casebank_context_words_are_refused(password):
    assert "Do not build the password from the name of casebank or its subject." in (
        password_problems(password)
    )


@pytest.mark.parametrize("password", ["johnsmith1990", "Mississippi1990", "elephant1234"])
def test_passwords_that_zxcvbn_guesses_quickly_are_refused(password):
    # None of these is on the shipped list; the strength estimate catches them.
    assert password_problems(password) == [
        "This password would be easy to guess; add words of your own."
    ]


def test_a_passphrase_using_a_context_word_among_others_is_accepted():
    assert password_problems("customs tortoise ferry mombasa") == []


def test_password_built_from_the_email_is_refused():
    assert password_problems("jane.doe-Secure-99", "jane.doe@customs.example.org")


def test_password_reset_through_the_mailed_link(auth, client):
    auth.post_form("/account/reset", {"email": ROLE_USERS["partner"][0]})
    path = link_in(last_mail())
    new = "Tortoise-Ferry-Mombasa-42"
    auth.post_form(path, {"password": new, "password_confirm": new})
    auth.login("partner", password=new)
    assert is_logged_in(client)


def test_password_change_ends_other_sessions(app, auth, client):
    other = app.test_client()
    from tests.auth_actions import AuthActions

    AuthActions(app, other).login("partner")
    assert is_logged_in(other)
    auth.login("partner")
    new = "Tortoise-Ferry-Mombasa-42"
    auth.post_form(
        "/account/change",
        {"password": PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert is_logged_in(client)
    assert not is_logged_in(other)


# --- requests for access and invitations -------------------------------------------------------

GOOD_REQUEST = {
    "name": "Amina Otieno",
    "organisation": "Kenya Revenue Authority",
    "email": "amina.otieno@kra.example.org",
    "country": "KE",
    "role_wanted": "officer",
    "justification": "I profile export containers at Mombasa and need restricted risk indicators.",
    "supervisor_contact": "Chief of Enforcement, enforcement@kra.example.org",
}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "not-an-email is not a valid e-mail address"),
        ("email", "x@sec.test", "special-use or reserved name"),
        ("country", "XX", "Not a valid choice"),
        ("justification", "too short", "at least 30"),
        ("name", "", "This field is required"),
        ("role_wanted", "admin", "Not a valid choice"),
    ],
)
def test_bad_request_for_access_re_renders_with_what_was_typed(auth, db, field, value, message):
    before = db.session.query(AccessRequest).count()
    response = auth.post_form("/account/request-access", {**GOOD_REQUEST, field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html
    assert GOOD_REQUEST["organisation"] in html  # what was typed is kept
    assert db.session.query(AccessRequest).count() == before


def test_request_for_access_is_queued(auth, db):
    response = auth.post_form("/account/request-access", GOOD_REQUEST)
    assert response.location.endswith("/account/request-access/sent")
    queued = db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"]))
    assert queued.status == "pending"


def test_request_form_is_rate_limited(auth):
    answers = [
        auth.post_form("/account/request-access", {**GOOD_REQUEST, "name": ""}).status_code
        for _ in range(7)
    ]
    assert answers[-1] == 429


def test_admin_approves_and_the_invited_officer_enrols(app, auth, client, db):
    from tests.auth_actions import AuthActions

    auth.post_form("/account/request-access", GOOD_REQUEST)
    request = db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"]))
    auth.login("admin")
    auth.post_form(f"/admin/access-requests/{request.id}", {"approve": "y"})
    assert request.status == "approved"
    invitation = last_mail()
    assert "one-time link" in invitation
    officer = app.test_client()
    invited = AuthActions(app, officer)
    link = link_in(invitation)
    new = "Tortoise-Ferry-Mombasa-42"
    invited.post_form(link, {"password": new, "password_confirm": new})
    assert accounts.find_user(GOOD_REQUEST["email"]).password
    # Two-factor enrolment comes before any restricted page.
    login = officer.post(
        "/account/login",
        data={"csrf_token": csrf_token(officer.get("/account/login").get_data(as_text=True))
              if officer.get("/account/login").status_code == 200 else "",
              "email": GOOD_REQUEST["email"], "password": new},
    )  # fmt: skip
    assert login.status_code in (200, 302)
    assert officer.get("/restricted/").status_code != 200
    assert "authenticator" in officer.get("/account/tf-setup").get_data(as_text=True).lower()
    # The link was for one use: it died with the password it set.
    reused = app.test_client().get(link)
    assert reused.status_code == 302 and reused.location.endswith("/account/reset")


def test_refusal_needs_a_reason_and_tells_the_applicant(auth, db):
    auth.post_form("/account/request-access", GOOD_REQUEST)
    request = db.session.scalar(select(AccessRequest).filter_by(email=GOOD_REQUEST["email"]))
    auth.login("admin")
    response = auth.post_form(f"/admin/access-requests/{request.id}", {"refuse": "y"})
    assert response.status_code == 400
    assert request.status == "pending"
    auth.post_form(
        f"/admin/access-requests/{request.id}", {"refuse": "y", "reason": "Not an enforcement role"}
    )
    assert request.status == "refused"
    assert "Not an enforcement role" in last_mail()


def test_an_invitation_link_expires(app, auth, db, monkeypatch):
    user = accounts.create_user("late@casebank.example.org", ["partner"])
    with app.test_request_context():
        accounts.send_invitation(user)
    db.session.commit()
    monkeypatch.setitem(app.config, "SECURITY_RESET_PASSWORD_WITHIN", timedelta(seconds=-1))
    response = auth.client.get(link_in(last_mail()))
    assert response.status_code == 302 and response.location.endswith("/account/reset")
    assert accounts.find_user("late@casebank.example.org").password is None


# --- roles, vetting, expiry ----------------------------------------------------------------------


def test_role_change_needs_a_fresh_password_and_ends_the_users_sessions(app, auth, client, db):
    from tests.auth_actions import AuthActions

    partner_client = app.test_client()
    AuthActions(app, partner_client).login("partner")
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    auth.login("admin")
    response = auth.post_form(
        f"/admin/users/{partner.id}", {"roles": ["partner", "editor"], "save_roles": "y"}
    )
    assert response.status_code == 302
    db.session.refresh(partner)
    assert {r.name for r in partner.roles} == {"partner", "editor"}
    assert not is_logged_in(partner_client)


def test_stale_admin_must_reenter_the_password_before_a_role_change(auth, client, db):
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    auth.login("admin")
    with client.session_transaction() as session:
        session["fs_paa"] = session["fs_paa"] - 3600
    response = auth.post_form(f"/admin/users/{partner.id}", {"roles": ["admin"], "save_roles": "y"})
    assert "/account/verify" in response.location
    assert not accounts.find_user(ROLE_USERS["partner"][0]).has_role("admin")


def test_officers_are_reminded_before_access_expires(db):
    officer = accounts.find_user(OFFICER)
    officer.restricted_access_until = date.today() + timedelta(days=10)
    reminded = accounts.send_expiry_reminders()
    assert officer in reminded
    assert "ends on" in last_mail()
    assert officer not in accounts.send_expiry_reminders()  # once, not every day


def test_revetting_restores_restricted_access(app, db):
    expired = accounts.find_user(ROLE_USERS["expired_officer"][0])
    assert not expired.has_restricted_access()
    accounts.revet(expired)
    assert expired.has_restricted_access()


# --- command line ---------------------------------------------------------------------------------


def test_cli_creates_a_user_with_the_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["casebank", "user", "create", "cli@casebank.example.org", "--role", "admin",
              "--password-stdin"],
        input="Tortoise-Ferry-Mombasa-42\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = accounts.find_user("cli@casebank.example.org")
    assert user.has_role("admin") and user.password.startswith("$argon2")


def test_cli_refuses_a_weak_password_and_a_missing_one(runner, db):
    weak = runner.invoke(
        args=["casebank", "user", "create", "weak@casebank.example.org", "--role", "partner",
              "--password-stdin"],
        input="password1234\n",
    )  # fmt: skip
    assert weak.exit_code == 1 and "too common" in weak.output
    missing = runner.invoke(
        args=["casebank", "user", "create", "none@casebank.example.org", "--role", "partner"],
        env={"CASEBANK_NEW_USER_PASSWORD": ""},
    )
    assert missing.exit_code == 2 and "stdin" in missing.output
    assert accounts.find_user("weak@casebank.example.org") is None


def test_cli_invites_without_a_password(runner, db):
    result = runner.invoke(
        args=["casebank", "user", "create", "inv@casebank.example.org", "--role", "officer",
              "--invite"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "inv@casebank.example.org" in last_mail()
    assert (
        db.session.scalar(select(User).filter_by(email="inv@casebank.example.org")).password is None
    )
