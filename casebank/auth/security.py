"""Flask-Security set-up: login, two-factor (TOTP with recovery codes), password change and
reset, argon2 hashing, generic answers that never reveal whether an account exists."""

import base64
import hashlib
import hmac
from datetime import timedelta
from pathlib import Path

from flask import current_app, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_security import (
    LoginForm,
    Security,
    SQLAlchemyUserDatastore,
    Totp,
    VerifyForm,
    check_and_update_authn_fresh,
    user_authenticated,
)
from flask_security.recoverable import reset_password_token_status
from passlib.totp import TOTP, AppWallet

from casebank.auth.passwords import MIN_LENGTH, CasebankPasswordUtil
from casebank.crypto import Keyring, key_id
from casebank.extensions import db
from casebank.i18n import current_language
from casebank.mail import CasebankMailUtil
from casebank.models import Role, User
from casebank.security_headers import never_cache_private


class CasebankUserDatastore(SQLAlchemyUserDatastore):
    def tf_set(self, user, primary_method, totp_secret=None, phone=None):
        """Records the first enrolment; Flask-Security signals it like any 2FA login."""
        if user.tf_primary_method is None and primary_method:
            from casebank.auth import enrolment
            from casebank.auth.audit_trail import audit_request

            audit_request("tf.enrolled", target=user, actor=user, method=primary_method)
            enrolment.mark_codes_due()
        super().tf_set(user, primary_method, totp_secret=totp_secret, phone=phone)


user_datastore = CasebankUserDatastore(db, User, Role)

# How long an invitation or a password-reset link works (one use: it dies with the password).
LINK_VALIDITY = timedelta(hours=48)


class InvalidEmail(ValueError):
    """An address the login form would refuse; the message says why."""


def login_email(email):
    """The address normalised as the login form takes it, by Flask-Security's own validator
    (SECURITY_EMAIL_VALIDATOR_ARGS), so no account is made that could never log in."""
    try:
        return current_app.extensions["security"]._mail_util.validate(email)
    except ValueError as error:
        # Flask-Security's message is generic; email_validator's, which it wraps, says why.
        reason = str(error.__context__ or error)
        raise InvalidEmail(
            _("%(email)s is not a valid e-mail address: %(reason)s", email=email, reason=reason)
        ) from None


def reauthenticate_unless_fresh(next_url):
    """None when the password was entered within SECURITY_FRESHNESS (Flask-Security's
    freshness); else a redirect to its verify page, which comes back to next_url (a page, not
    the POST-only URL that asked: a browser follows that redirect with a GET)."""
    config = current_app.config
    if check_and_update_authn_fresh(
        config["SECURITY_FRESHNESS"], config["SECURITY_FRESHNESS_GRACE_PERIOD"]
    ):
        return None
    return redirect(url_for("security.verify", next=next_url))


def derived_secret(master, purpose):
    """A separate secret per purpose, so one leaking does not expose the others."""
    return hmac.new(master, purpose.encode(), hashlib.sha256).digest()


def new_session_id():
    """A right password starts a new session id (ASVS 5.0 7.2.4), before whatever the step
    stores: at login the two-factor state, at re-authentication the freshness stamp. The data
    moves to the new id; the old one is deleted from the store."""
    current_app.session_interface.regenerate(session)


class CasebankLoginForm(LoginForm):
    def validate(self, **kwargs):
        # "Remember me" would outlive the idle and absolute session timeouts (the page has no
        # such box; a request that sends one anyway is not remembered either).
        if self.remember:
            self.remember.data = False
        valid = super().validate(**kwargs)
        if valid:
            new_session_id()
            if not self.user.tf_primary_method:
                from casebank.auth import enrolment

                # The enrolment pages lose `next`; the landing page finds it here.
                enrolment.remember_destination(request.args.get("next") or self.next.data)
        if not valid and self.user is None and self.email.data:
            # Failures on known accounts are recorded by the user_failed_authn signal.
            from casebank.auth.audit_trail import audit_request

            audit_request("login.failure", identity=str(self.email.data)[:254], known=False)
        return valid


class CasebankVerifyForm(VerifyForm):
    """Re-authentication (freshness) with the password."""

    def validate(self, **kwargs):
        valid = super().validate(**kwargs)
        if valid:
            new_session_id()
        return valid


class ReplayProofTotp(Totp):
    """A TOTP code is accepted once: the last accepted time step is kept on the user.

    The secrets dict comes primary key first (security_settings); new TOTP secrets are
    encrypted under it, older keys still open existing ones until rotate-keys re-encrypts.
    """

    def __init__(self, secrets, issuer):
        super().__init__(secrets, issuer)
        primary = next(iter(secrets))
        self._totp = TOTP.using(issuer=issuer, wallet=AppWallet(secrets, default_tag=primary))

    def reencrypt(self, totp_secret):
        """The same TOTP secret, encrypted under the primary key."""
        return self._totp.from_source(totp_secret).to_json()

    def verify_totp(self, token, totp_secret, user, window=0):
        """At login, a client locked out of the account (lockout.py) is told every code is
        wrong, or it could go on guessing codes after its password was right. Setting up 2FA
        (the user is logged in) checks a new secret and is not a login."""
        from casebank.auth import lockout

        right = super().verify_totp(token, totp_secret, user, window)
        logging_in = not current_user.is_authenticated
        return right and not (logging_in and lockout.is_locked(user))

    def get_last_counter(self, user):
        return user.tf_totp_last_counter

    def set_last_counter(self, user, tmatch):
        user.tf_totp_last_counter = tmatch.counter


def per_master_key(config, purpose):
    """{key id: derived secret} for every configured master key, the primary first."""
    return {
        key_id(key).hex(): base64.urlsafe_b64encode(derived_secret(key, purpose)).decode()
        for key in Keyring.from_text(config["ENCRYPTION_KEY"]).keys
    }


# casebank's own pages for Flask-Security's views (its defaults are unstyled, in English only,
# and carry a "Menu" list and a remember-me box).
TEMPLATES = {
    "LOGIN_USER": "login.html",
    "VERIFY": "verify.html",
    "CHANGE_PASSWORD": "change_password.html",
    "FORGOT_PASSWORD": "forgot_password.html",
    "RESET_PASSWORD": "reset_password.html",
    "TWO_FACTOR_SETUP": "two_factor_setup.html",
    "TWO_FACTOR_VERIFY_CODE": "two_factor_verify_code.html",
    "MULTI_FACTOR_RECOVERY_CODES": "recovery_codes.html",
    "MULTI_FACTOR_RECOVERY": "recovery.html",
}
# Flask-Security's own messages in French and Spanish come from its catalogues (fr_FR, es_ES);
# casebank/translations/*/LC_MESSAGES/flask_security.po, read after them, translates the
# wording below and puts the rest of what members read in the formal register.
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
MESSAGES = {
    # Said for every address, known or not, and for an empty one too.
    "PASSWORD_RESET_REQUEST": (
        "If that address belongs to an account, a link to choose a new password has been sent "
        "to it.", "info",
    ),
    "GENERIC_AUTHN_FAILED": ("Wrong e-mail address or password.", "error"),
    "TWO_FACTOR_INVALID_TOKEN": (
        "That code is not right: type the code the app shows now.", "error"
    ),
    "TWO_FACTOR_LOGIN_SUCCESSFUL": ("You are logged in.", "success"),
    "TWO_FACTOR_CHANGE_METHOD_SUCCESSFUL": ("Your authenticator app is set up.", "success"),
    "INVALID_RECOVERY_CODE": ("That recovery code is not right, or it was used already.", "error"),
    "INVALID_RESET_PASSWORD_TOKEN": (
        "This link to set a password is not valid: ask for a new one below.", "error"
    ),
}  # fmt: skip
EMAIL_SUBJECTS = {
    "PASSWORD_RESET": "casebank: choose a new password",
    "PASSWORD_NOTICE": "casebank: your password was reset",
    "PASSWORD_CHANGE_NOTICE": "casebank: your password was changed",
}


def security_settings(config):
    secret = config["SECRET_KEY"].encode()
    return {
        **{f"SECURITY_{name}_TEMPLATE": f"security/{file}" for name, file in TEMPLATES.items()},
        "SECURITY_I18N_DIRNAME": ["builtin", str(TRANSLATIONS)],
        **{f"SECURITY_MSG_{key}": message for key, message in MESSAGES.items()},
        **{f"SECURITY_EMAIL_SUBJECT_{key}": text for key, text in EMAIL_SUBJECTS.items()},
        "SECURITY_URL_PREFIX": "/account",
        "SECURITY_PASSWORD_HASH": "argon2",
        "SECURITY_PASSWORD_SALT": derived_secret(secret, "password-salt").hex(),
        "SECURITY_PASSWORD_LENGTH_MIN": MIN_LENGTH,
        "SECURITY_REGISTERABLE": False,
        "SECURITY_RECOVERABLE": True,
        "SECURITY_CHANGEABLE": True,
        "SECURITY_RESET_PASSWORD_WITHIN": LINK_VALIDITY,
        "SECURITY_RETURN_GENERIC_RESPONSES": True,
        "SECURITY_TWO_FACTOR": True,
        "SECURITY_TWO_FACTOR_ENABLED_METHODS": ["authenticator"],
        "SECURITY_TWO_FACTOR_ALWAYS_VALIDATE": True,
        "SECURITY_TWO_FACTOR_RESCUE_EMAIL": False,
        "SECURITY_TOTP_SECRETS": per_master_key(config, "totp"),
        "SECURITY_TOTP_ISSUER": "casebank",
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES": True,
        "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS": list(
            per_master_key(config, "recovery-codes").values()
        ),
        "SECURITY_FRESHNESS": timedelta(minutes=10),
        "SECURITY_FRESHNESS_GRACE_PERIOD": timedelta(0),
        "SECURITY_FRESHNESS_ALLOW_AUTH_TOKEN": False,
        "SECURITY_DEFAULT_REMEMBER_ME": False,
        "SECURITY_EMAIL_SENDER": config["MAIL_SENDER"],
        # Checking deliverability asks DNS; secure enclaves and CI have none to ask.
        "SECURITY_EMAIL_VALIDATOR_ARGS": {"check_deliverability": False},
        # Without a `next`: recovery codes after a first enrolment, then the member's workspace.
        "SECURITY_POST_LOGIN_VIEW": "account.landing",
        "SECURITY_TWO_FACTOR_POST_SETUP_VIEW": "account.profile",
        "SECURITY_POST_LOGOUT_VIEW": "/",
        "SECURITY_SEND_PASSWORD_CHANGE_EMAIL": True,
        "SECURITY_CACHE_CONTROL": None,  # malformed; init_security sets a well-formed one
    }


def init_security(app):
    from casebank.auth.audit_trail import connect_account_signals
    from casebank.auth.lockout import connect_lockout_signals

    for key, value in security_settings(app.config).items():
        app.config.setdefault(key, value)
    security.init_app(app, user_datastore)
    # The blueprint is registered by now; add to its after_request functions the same way.
    app.after_request_funcs.setdefault("security", []).append(never_cache_private)
    connect_account_signals(app)
    connect_lockout_signals(app)
    user_authenticated.connect(remember_language, app, weak=False)
    security.reset_password_context_processor(reset_page_context)
    security.tf_token_validation_context_processor(code_page_context)


def code_page_context():
    """A wrong code while enrolling comes back to the code page: it speaks of the set-up, not
    of logging in with a recovery code (there are none yet)."""
    return {"enrolling": session.get("tf_state") == "validating_profile"}


def reset_page_context():
    """The reset page says "Set your password" to an invited member who has none yet."""
    token = (request.view_args or {}).get("token")
    expired, invalid, user = reset_password_token_status(token) if token else (0, 1, None)
    return {"setting_first_password": bool(user and not invalid and user.password is None)}


def remember_language(sender, user=None, **extra):
    """A member's e-mails are written in the language they last logged in with."""
    user.language = current_language()


# The custom classes must be given to the constructor: init_app ignores them.
security = Security(
    login_form=CasebankLoginForm,
    verify_form=CasebankVerifyForm,
    mail_util_cls=CasebankMailUtil,
    password_util_cls=CasebankPasswordUtil,
    totp_cls=ReplayProofTotp,
)
