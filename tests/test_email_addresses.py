"""One e-mail validator: the command line (and every account the service creates) accepts
exactly the addresses the login form accepts (Flask-Security's, SECURITY_EMAIL_VALIDATOR_ARGS)."""

import pytest

from casebank.auth.security import user_datastore
from casebank.extensions import db
from casebank.services import accounts
from tests.auth_actions import PASSWORD, enrol_authenticator

ADDRESSES = [
    ("jane.doe@customs.example.org", True),
    ("officer@kra.go.ke", True),
    ("x@sec.test", False),  # a special-use domain
    ("someone@localhost", False),
    ("two..dots@customs.example.org", False),
    ("no-at-sign.example.org", False),
]


def cli_create(runner, email):
    return runner.invoke(
        args=["casebank", "user", "create", email, "--role", "partner", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )


def can_log_in(app, auth, client, email):
    user = accounts.find_user(email)
    if user and user.requires_two_factor():  # as the first login's enrolment leaves it
        enrol_authenticator(app, user)
        db.session.commit()
    auth.login(email=email)
    return client.get("/account/").status_code == 200


@pytest.mark.parametrize(("email", "valid"), ADDRESSES)
def test_the_command_line_and_the_login_form_agree(app, runner, auth, client, db, email, valid):
    result = cli_create(runner, email)
    created = result.exit_code == 0
    if not created:  # an account made past the service: can it log in at all?
        user_datastore.create_user(email=email, password=accounts.hash_password(PASSWORD), roles=[])
        db.session.commit()
    assert created == can_log_in(app, auth, client, email) == valid, result.output


def test_the_command_line_says_why_an_address_is_refused(runner):
    result = cli_create(runner, "x@sec.test")
    assert result.exit_code == 1
    assert "x@sec.test" in result.output
    assert "special-use or reserved name" in result.output
    assert accounts.find_user("x@sec.test") is None


@pytest.mark.parametrize(("email", "valid"), ADDRESSES)
def test_the_request_form_accepts_the_same_addresses(auth, db, email, valid):
    from casebank.models import AccessRequest
    from tests.test_accounts import GOOD_REQUEST

    auth.post_form("/account/request-access", {**GOOD_REQUEST, "email": email})
    queued = db.session.query(AccessRequest).filter_by(email=email.lower()).count()
    assert queued == (1 if valid else 0)
