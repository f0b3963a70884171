"""Failed-login throttling that a stranger cannot turn against an account's owner.

Failures are counted per (account, client): a client is an IPv4 address or an IPv6 /64 (one
subscriber's network). Five failures from a client lock that client out of that account for a
minute, doubling with each further failure up to a day; a good login from the client clears
its count, a quiet day after its lock ends forgets it. The owner, elsewhere, is not affected.

Guessing from many clients is capped account-wide: past ACCOUNT_FAILURES_PER_DAY failures in a
rolling day, the account locks for every client for ACCOUNT_LOCK after the latest failure, and
the owner is mailed once, with the password-reset link that lifts every lock.

Counts live in the database (atomic UPDATEs), so every worker and host sees the same ones.
A lock answers like a wrong password (User.is_locked), so it never confirms a right one.
"""

import logging
import smtplib
from datetime import timedelta

from flask import has_request_context, request, url_for
from flask_babel import gettext as _
from flask_security import password_reset, user_authenticated
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from casebank.auth.audit_trail import audit_request
from casebank.client_address import current_client
from casebank.extensions import db
from casebank.mail import in_language_of, send_mail
from casebank.models import LoginThrottle, User
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)

# Per (account, client).
LOCK_AFTER_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=24)
# Failures older than this are forgotten (a client's count, the account-wide window).
MEMORY = timedelta(hours=24)
# Account-wide, every client together: a long but bounded lock, then the owner is mailed.
ACCOUNT_FAILURES_PER_DAY = 100
ACCOUNT_LOCK = timedelta(hours=1)
INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}
# Endpoints where a lock does not apply: asking for a reset link is the owner's way out.
UNLOCKED_ENDPOINTS = {"security.forgot_password"}


def lock_for(failures):
    over = failures - LOCK_AFTER_FAILURES
    if over < 0:
        return None
    return min(FIRST_LOCK * 2 ** min(over, 20), LONGEST_LOCK)


def record_failure(user, client=None):
    """Count a failed password or 2FA code; lock the client, or the account, past the limits."""
    client = client or current_client()
    now = utc_now()
    lock = lock_for(count_client_failure(user, client, now))
    if lock is not None:
        db.session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.user_id == user.id, LoginThrottle.client == client)
            .values(locked_until=now + lock)
        )
        log.info("login of user %s locked for client %s for %s", user.id, client, lock)
    total = count_account_failure(user, now)
    if total >= ACCOUNT_FAILURES_PER_DAY:
        db.session.execute(
            update(User).where(User.id == user.id).values(locked_until=now + ACCOUNT_LOCK)
        )
        db.session.expire(user, ["locked_until"])
        if total == ACCOUNT_FAILURES_PER_DAY:
            tell_owner(user)
    db.session.flush()


def count_client_failure(user, client, now):
    """One more failure for (user, client), atomically; an old count starts over."""
    table = LoginThrottle.__table__
    insert = INSERTS[db.session.get_bind().dialect.name](table)
    # A day without failures after any lock ended (else a 24-hour lock would reset itself).
    forgotten = func.coalesce(table.c.locked_until, table.c.last_failure_at) < now - MEMORY
    statement = (
        insert.values(user_id=user.id, client=client, failures=1, last_failure_at=now)
        .on_conflict_do_update(
            index_elements=[table.c.user_id, table.c.client],
            set_={
                "failures": case((forgotten, 1), else_=table.c.failures + 1),
                "locked_until": case((forgotten, None), else_=table.c.locked_until),
                "last_failure_at": now,
            },
        )
        .returning(table.c.failures)
    )
    return db.session.execute(statement).scalar_one()


def count_account_failure(user, now):
    """One more failure for the account, atomically, in a window that restarts after a day."""
    table = User.__table__
    window_over = or_(
        table.c.failed_logins_since.is_(None), table.c.failed_logins_since < now - MEMORY
    )
    statement = (
        update(table)
        .where(table.c.id == user.id)
        .values(
            failed_logins=case((window_over, 1), else_=table.c.failed_logins + 1),
            failed_logins_since=case((window_over, now), else_=table.c.failed_logins_since),
        )
        .returning(table.c.failed_logins)
    )
    total = db.session.execute(statement).scalar_one()
    db.session.expire(user, ["failed_logins", "failed_logins_since"])
    return total


def tell_owner(user):
    log.warning(
        "user %s: %s failed logins in a day; account locked", user.id, ACCOUNT_FAILURES_PER_DAY
    )
    audit_request(
        "login.account_locked", target=user, actor=user, failures=ACCOUNT_FAILURES_PER_DAY
    )
    try:
        send_owner_mail(user)
    except (OSError, smtplib.SMTPException):  # the lock stands; the log says the mail failed
        log.exception("could not tell user %s that the account is locked", user.id)


def send_owner_mail(user):
    with in_language_of(user):
        subject = _("casebank: logging in to your account is paused")
        body = _(
            "There were %(failures)s failed attempts to log in to your casebank account "
            "(%(email)s) within a day, so logging in is paused for everyone for %(minutes)s "
            "minutes after the latest attempt.\n\n"
            "If this was not you, someone is guessing your password. To log in now, set a new "
            "password with the reset link you can ask for here (it lifts the pause):\n\n"
            "%(link)s\n",
            failures=ACCOUNT_FAILURES_PER_DAY, email=user.email,
            minutes=int(ACCOUNT_LOCK.total_seconds() // 60),
            link=url_for("security.forgot_password", _external=True),
        )  # fmt: skip
    send_mail(user.email, subject, body)


def address_locked_until(user, client):
    return db.session.scalar(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.user_id == user.id, LoginThrottle.client == client
        )
    )


def is_locked(user, client=None):
    if has_request_context() and request.endpoint in UNLOCKED_ENDPOINTS:
        return False
    now = utc_now()
    if user.locked_until is not None and user.locked_until > now:
        return True
    until = address_locked_until(user, client or current_client())
    return until is not None and until > now


def clear_client(user, client=None):
    """A good login clears its client's count (the owner's own typos)."""
    db.session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.user_id == user.id, LoginThrottle.client == (client or current_client())
        )
    )


def clear_all(user):
    """A password reset proves the mailbox: every count and lock of the account goes."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.user_id == user.id))
    user.failed_logins, user.failed_logins_since, user.locked_until = 0, None, None
    db.session.flush()


def connect_lockout_signals(app):
    def on_success(sender, user=None, **extra):
        clear_client(user)

    def on_reset(sender, user=None, **extra):
        clear_all(user)

    user_authenticated.connect(on_success, app, weak=False)
    password_reset.connect(on_reset, app, weak=False)
