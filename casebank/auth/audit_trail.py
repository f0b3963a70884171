"""What goes into the audit log from requests: who did it, from where, and the account events
Flask-Security signals (logins, failures, logouts, two-factor, passwords)."""

from flask import has_request_context, request
from flask_login import current_user, user_logged_out
from flask_security import (
    password_changed,
    password_reset,
    tf_code_confirmed,
    tf_disabled,
    tf_profile_changed,
    user_authenticated,
    user_failed_authn,
)

from casebank.services import audit


def acting_user():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def remote_address():
    return request.remote_addr if has_request_context() else None


def audit_request(action, target=None, actor=None, **details):
    """Record an event for the current request (its user and address unless told otherwise).
    A call made with an API token names the token too: a leaked one is traced by its id."""
    actor = actor or acting_user()
    if getattr(actor, "authenticated_by_token", False):
        details.setdefault("via", f"api token {actor.token.id}")
    return audit.record(action, actor=actor, target=target, details=details, ip=remote_address())


def connect_account_signals(app):
    def on(signal, action, **fixed):
        def handler(sender, user=None, **extra):
            tfa = extra.get("tfa")
            name = "tf.failure" if action == "login.failure" and tfa else action
            audit_request(name, target=user, actor=user, **fixed, via=extra.get("authn_via"))

        signal.connect(handler, app, weak=False)

    on(user_authenticated, "login.success")
    on(user_failed_authn, "login.failure")
    on(tf_code_confirmed, "tf.confirmed")
    on(tf_profile_changed, "tf.enrolled")
    on(tf_disabled, "tf.disabled")
    on(password_changed, "password.changed")
    on(password_reset, "password.reset")

    def on_logout(sender, user=None, **extra):
        if user is not None and user.is_authenticated:
            audit_request("logout", target=user, actor=user)

    user_logged_out.connect(on_logout, app, weak=False)
