"""Logging in as a user does: fetch the form, post it with its CSRF token, answer the 2FA step."""

import re
from datetime import date, timedelta

from flask_security import Security

PASSWORD = "Correct-Horse-Battery-9"
ROLE_USERS = {
    "partner": ("partner@casebank.example.org", ["partner"], True),
    "officer": ("officer@casebank.example.org", ["officer"], True),
    "editor": ("editor@casebank.example.org", ["editor"], True),
    "admin": ("admin@casebank.example.org", ["admin"], True),
    "expired_officer": ("expired@casebank.example.org", ["officer"], True),
    "judge": ("judge@casebank.example.org", ["judge"], True),
}
ROLES = ["anonymous", *ROLE_USERS]


def csrf_token(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def authenticator_key(html):
    """The key the two-factor set-up page shows for typing into an app (groups of four)."""
    match = re.search(r'id="authenticator-key">([A-Z2-7]{4}(?:-[A-Z2-7]{4})+)<', html)
    assert match, "no authenticator key in the page"
    return match.group(1)


def totp_code(app, user):
    security: Security = app.extensions["security"]
    return security._totp_factory.generate_totp_password(user.tf_totp_secret)


def enrol_authenticator(app, user):
    """Enrol the user's authenticator app, as a completed /account/tf-setup leaves it."""
    user.tf_primary_method = "authenticator"
    user.tf_totp_secret = app.extensions["security"]._totp_factory.generate_totp_secret()
    return user


def create_role_users(app, accounts, db):
    """One account per role, 2FA enrolled where the role requires it."""
    for email, roles, two_factor in ROLE_USERS.values():
        user = accounts.create_user(email, roles, password=PASSWORD, name=email.split("@")[0])
        if two_factor:
            enrol_authenticator(app, user)
    expired = accounts.find_user(ROLE_USERS["expired_officer"][0])
    expired.restricted_access_until = date.today() - timedelta(days=1)
    db.session.commit()


class AuthActions:
    def __init__(self, app, client):
        self.app, self.client = app, client

    def post_form(self, path, data, follow=False):
        page = self.client.get(path)
        data = {"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
        return self.client.post(path, data=data, follow_redirects=follow)

    def login(self, role="officer", password=PASSWORD, email=None):
        """Log in; returns the last response. role 'anonymous' does nothing."""
        if role == "anonymous":
            return None
        email = email or ROLE_USERS[role][0]
        response = self.post_form("/account/login", {"email": email, "password": password})
        if response.status_code == 302 and "/tf-validate" in response.location:
            response = self.post_form("/account/tf-validate", {"code": self.fresh_code(email)})
        return response

    def fresh_code(self, email):
        """The current TOTP code, usable even if this user logged in earlier in the same 30-second
        time step: a code is accepted once (tf_totp_last_counter), so the helper forgets the
        last one, as if the test had waited for the next step. test_accounts.py's replay test
        posts a used code itself and still proves the refusal."""
        from casebank.extensions import db
        from casebank.services.accounts import find_user

        user = find_user(email)
        user.tf_totp_last_counter = None
        db.session.commit()
        return totp_code(self.app, user)

    def logout(self):
        page = self.client.get("/")
        return self.client.post(
            "/account/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
        )
