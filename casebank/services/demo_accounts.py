"""Demo accounts for trying casebank on a development machine: one per role, two partners of
two different organisations (to try their isolation), random passwords and an enrolled
authenticator (every role requires two factors). Refused outside development and testing.

Running it again resets the accounts (new password, new TOTP secret, lock cleared) and prints
them anew: the credentials are shown once, so losing them must not mean losing the accounts.
"""

import logging
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_security.utils import hash_password

from casebank.auth import lockout
from casebank.auth.audit_trail import audit_request
from casebank.auth.passwords import password_problems
from casebank.auth.security import security, user_datastore
from casebank.extensions import db
from casebank.models import RoleName
from casebank.services import accounts, saved_searches
from casebank.services.audit import SYSTEM
from casebank.services.awards.demo import name_demo_judge
from casebank.services.reference_data import load_partners

log = logging.getLogger(__name__)

ALLOWED_ENVIRONMENTS = ("development", "testing")
DEMO_DOMAIN = "demo.casebank.example.org"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    partner: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount(f"officer@{DEMO_DOMAIN}", "officer"),
    DemoAccount(f"partner.wco@{DEMO_DOMAIN}", "partner", "WCO"),
    DemoAccount(f"partner.traffic@{DEMO_DOMAIN}", "partner", "TRAFFIC"),
    DemoAccount(f"editor@{DEMO_DOMAIN}", "editor"),
    DemoAccount(f"admin@{DEMO_DOMAIN}", "admin"),
    DemoAccount(f"judge@{DEMO_DOMAIN}", "judge"),  # named in the demo award rounds
)


@dataclass(frozen=True)
class Credentials:
    account: DemoAccount
    password: str
    totp_secret: str | None  # base32, what an authenticator app is given; None without 2FA
    reset: bool  # the account existed and was reset


class DemoAccountsRefused(RuntimeError):
    """Demo accounts with known passwords must never exist on a real server."""


def new_password(email):
    """A random password casebank's own policy accepts (about 120 bits)."""
    while True:
        password = secrets.token_urlsafe(20)
        if not password_problems(password, email):
            return password


def enrol_authenticator(user):
    """A new TOTP secret, stored the way Flask-Security stores it (encrypted JSON); returns the
    base32 key a person types into an authenticator app."""
    totp_secret = security.totp_factory.generate_totp_secret()
    user_datastore.tf_set(user, "authenticator", totp_secret=totp_secret)
    user.tf_totp_last_counter = None
    return security.totp_factory.get_totp_b32_key(totp_secret)


def reset(user, account, password):
    user.password = hash_password(password)
    user.active = True
    lockout.clear_all(user)  # a reset password, like a reset by mail, lifts every lock
    if not user.has_role(account.role):
        accounts.add_role(user, account.role, actor=SYSTEM)
    if account.role == RoleName.OFFICER:
        user.restricted_access_until = accounts.vetting_end()
    wanted = accounts.partner_named(account.partner) if account.partner else None
    if wanted is not None and user.partner != wanted:
        accounts.set_partner(user, wanted, actor=SYSTEM)
    accounts.end_other_sessions(user)  # sessions opened with the old password end
    audit_request("account.demo_reset", target=user, actor=SYSTEM)


def create_demo_accounts():
    """Create or reset every demo account; returns their credentials, to be shown once."""
    environment = current_app.config["ENV_NAME"]
    if environment not in ALLOWED_ENVIRONMENTS:
        raise DemoAccountsRefused(
            f"demo accounts are for development only (CASEBANK_ENV is {environment!r})"
        )
    load_partners()  # the demo partners the partner accounts belong to
    issued = []
    for account in DEMO_ACCOUNTS:
        password = new_password(account.email)
        user = accounts.find_user(account.email)
        existed = user is not None
        if not existed:
            user = accounts.create_user(
                account.email, [account.role], password=password,
                name=f"Demo {account.role}", partner=account.partner, actor=SYSTEM,
            )  # fmt: skip
        else:
            reset(user, account, password)
        if account.role == RoleName.JUDGE:
            name_demo_judge(user)
        totp = enrol_authenticator(user) if user.requires_two_factor() else None
        issued.append(Credentials(account, password, totp, reset=existed))
        if account.role == "officer":
            saved_searches.demo_saved_search(user)  # `send-alerts` then has news to mail
    db.session.flush()
    log.info("demo accounts issued: %s", ", ".join(c.account.email for c in issued))
    return issued
