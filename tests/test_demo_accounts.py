"""`flask casebank demo-accounts`: one account per role, partners of two organisations, each
password and TOTP secret printed once and good for logging in; running it again resets them;
refused outside development."""

import re
from datetime import date, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from casebank.auth.passwords import password_problems
from casebank.models import User
from casebank.services import accounts
from casebank.services.demo_accounts import DEMO_ACCOUNTS, DEMO_DOMAIN
from tests.auth_actions import AuthActions

ENTRY = re.compile(
    r"^  (?P<role>\w+)(?: of (?P<partner>\S+))? \((?P<state>created|reset)\)\n"
    r"    e-mail:      (?P<email>\S+)\n"
    r"    password:    (?P<password>\S+)\n"
    r"(?:    TOTP secret: (?P<totp>[A-Z2-7]+)\n)?",
    re.MULTILINE,
)


def run_demo_accounts(runner):
    result = runner.invoke(args=["casebank", "demo-accounts"])
    assert result.exit_code == 0, result.output
    printed = {m["email"]: m.groupdict() for m in ENTRY.finditer(result.output)}
    assert len(printed) == len(DEMO_ACCOUNTS), result.output
    return printed


def demo_users(db):
    query = select(func.count()).select_from(User).where(User.email.like(f"%@{DEMO_DOMAIN}"))
    return db.session.scalar(query)


def is_logged_in(client):
    return client.get("/account/").status_code == 200


def log_in(auth, email, entry):
    """The printed password, then, if asked, the code an authenticator app given the printed
    secret shows."""
    response = auth.post_form("/account/login", {"email": email, "password": entry["password"]})
    if response.status_code == 302 and "/tf-validate" in response.location:
        auth.post_form("/account/tf-validate", {"code": pyotp.TOTP(entry["totp"]).now()})


def test_one_account_per_role_and_partners_of_two_organisations(runner, db):
    printed = run_demo_accounts(runner)
    roles = {entry["role"] for entry in printed.values()}
    assert roles == {"officer", "partner", "editor", "admin", "judge"}
    partners = {}
    for email, entry in printed.items():
        user = accounts.find_user(email)
        assert [r.name for r in user.roles] == [entry["role"]]
        assert password_problems(entry["password"], email) == []
        if entry["role"] == "partner":
            partners[email] = user.partner.acronym
        # Every role logs in with 2FA, partners too; the stored secret is sealed, not printed.
        assert entry["totp"] and user.requires_two_factor()
        assert user.tf_primary_method == "authenticator"
        assert entry["totp"] not in user.tf_totp_secret
    assert sorted(partners.values()) == ["TRAFFIC", "WCO"]
    assert len({entry["password"] for entry in printed.values()}) == len(printed)


@pytest.mark.parametrize("account", DEMO_ACCOUNTS, ids=lambda a: a.email.split("@")[0])
def test_the_printed_password_and_totp_secret_log_in(app, runner, client, db, account):
    entry = run_demo_accounts(runner)[account.email]
    auth = AuthActions(app, client)
    response = auth.post_form(
        "/account/login", {"email": account.email, "password": entry["password"]}
    )
    assert "/tf-validate" in response.location  # every role, partners too
    code = pyotp.TOTP(entry["totp"]).now()  # what an authenticator app shows
    auth.post_form("/account/tf-validate", {"code": code})
    assert is_logged_in(client)


def test_running_again_resets_the_accounts_without_duplicating_them(app, runner, client, db):
    first = run_demo_accounts(runner)
    count = demo_users(db)
    email = DEMO_ACCOUNTS[1].email  # a partner
    auth = AuthActions(app, client)
    log_in(auth, email, first[email])
    assert is_logged_in(client)
    second = run_demo_accounts(runner)
    assert demo_users(db) == count == len(DEMO_ACCOUNTS)
    assert {entry["state"] for entry in second.values()} == {"reset"}
    assert not is_logged_in(client)  # the session opened with the old password ended
    log_in(auth, email, first[email])
    assert not is_logged_in(client)
    log_in(auth, email, second[email])  # the new secret's code: its time step not used yet
    assert is_logged_in(client)


def test_running_again_lifts_a_lock(app, runner, client, db):
    email = DEMO_ACCOUNTS[2].email
    first = run_demo_accounts(runner)[email]
    auth = AuthActions(app, client)
    for _ in range(6):
        auth.post_form("/account/login", {"email": email, "password": "Wrong-Password-123"})
    log_in(auth, email, first)
    assert not is_logged_in(client)  # locked out, even with the right password
    second = run_demo_accounts(runner)[email]
    log_in(auth, email, second)
    assert is_logged_in(client)


def test_running_again_renews_an_expired_officers_vetting(runner, db):
    run_demo_accounts(runner)
    officer = accounts.find_user(DEMO_ACCOUNTS[0].email)
    officer.restricted_access_until = date.today() - timedelta(days=1)
    run_demo_accounts(runner)
    assert officer.has_restricted_access()


def test_refused_outside_development(app, runner, db, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = runner.invoke(args=["casebank", "demo-accounts"])
    assert result.exit_code == 1
    assert "development only" in result.output
    assert "password" not in result.output
    assert demo_users(db) == 0
