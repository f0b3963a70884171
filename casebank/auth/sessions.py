"""The registry of logged-in sessions: a session is valid only while its row exists and has not
timed out (idle: 30 minutes for roles that see restricted material of every case - officers,
editors, admins - 2 hours for others such as partners; absolute: 12 hours).

Login makes a new session id (against session fixation) and a row; logout deletes the row,
and so do a password or role change (the user's other sessions), deactivation, an admin and
the user from their account page. Every authenticated request looks its row up by handle, so a
cookie copied before any of these opens nothing afterwards, on any worker or host.
"""

import logging
import re
import secrets

from flask import current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user, user_logged_out
from flask_security import password_changed, password_reset, user_authenticated
from sqlalchemy import delete, select

from casebank.auth.audit_trail import audit_request
from casebank.extensions import db
from casebank.models import UserSession
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)
HANDLE = "casebank_session"  # the key, in the server-side session data, of its registry handle
# (pattern, name), first match wins: Edge and Opera also say Chrome, Chrome also says Safari.
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari"))  # fmt: skip
SYSTEMS = (("Windows", "Windows"), ("Android", "Android"), ("iPhone|iPad", "iOS"),
           ("Mac OS X|Macintosh", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def describe_device(user_agent):
    """A short, bounded description such as "Firefox on Windows" (never the raw header)."""
    text = (user_agent or "")[:512]
    browser = next((name for pattern, name in BROWSERS if re.search(pattern, text)), None)
    system = next((name for pattern, name in SYSTEMS if re.search(pattern, text)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def idle_limit(user):
    config = current_app.config
    restricted = user.sees_restricted_material()
    return config["IDLE_TIMEOUT_RESTRICTED"] if restricted else config["IDLE_TIMEOUT"]


def expiry_reason(row, user, now):
    """'age' or 'idle' when the session has timed out, else None; decided from the row only."""
    if now - row.created_at > current_app.config["ABSOLUTE_TIMEOUT"]:
        return "age"
    if now - row.last_seen_at > idle_limit(user):
        return "idle"
    return None


def current_handle():
    return session.get(HANDLE)


def row_for(handle):
    if not handle:
        return None
    return db.session.scalar(select(UserSession).where(UserSession.handle == handle))


def start_session(sender, user, **extra):
    """user_authenticated: a new session id and a new registry row (replacing this session's
    previous row after a re-login, such as a password change)."""
    end_row(current_handle())
    current_app.session_interface.regenerate(session)
    now = utc_now()
    row = UserSession(
        user_id=user.id,
        handle=secrets.token_urlsafe(32),
        device=describe_device(request.user_agent.string),
        ip_address=(request.remote_addr or "")[:45] or None,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    session[HANDLE] = row.handle
    log.info("session %s of user %s started", row.id, user.id)


def enforce_live_session():
    """before_request: an authenticated request needs its live registry row."""
    if not current_user.is_authenticated:
        return
    row, now = row_for(current_handle()), utc_now()
    if row is None or row.user_id != current_user.id:
        end_current_session("ended")
        return
    reason = expiry_reason(row, current_user, now)
    if reason:
        end_current_session(reason)
        return
    if now - row.last_seen_at >= current_app.config["SESSION_SEEN_INTERVAL"]:
        row.last_seen_at = now
        db.session.flush()


def end_current_session(reason):
    log.info("session of user %s ended (%s)", current_user.id, reason)
    audit_request("session.expired", target=current_user, reason=reason)
    logout_user()  # forget_session() below deletes the row and the session's data
    flash(_("Your session has ended. Please log in again."), "info")
    # Committed now, before the request does anything: a refused request (404) rolls back,
    # and the record of the ended session must stay.
    db.session.commit()


def forget_session(sender, user=None, **extra):
    """user_logged_out: delete the registry row and the stored data under the old session id."""
    end_row(session.pop(HANDLE, None))
    current_app.session_interface.regenerate(session)
    session.clear()


def end_row(handle):
    if handle:
        db.session.execute(delete(UserSession).where(UserSession.handle == handle))


def live_sessions(user):
    """The user's sessions that have not timed out, the most recently used first."""
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    now = utc_now()
    return [row for row in rows if expiry_reason(row, user, now) is None]


def end_session(user, handle):
    """The user ends one of their own sessions; False when the handle is not one of theirs."""
    row = row_for(handle)
    if row is None or row.user_id != user.id:
        return False
    db.session.delete(row)
    db.session.flush()
    audit_request("session.ended", target=user, device=row.device)
    log.info("session %s of user %s ended by its owner", row.id, user.id)
    return True


def end_sessions(user, keep_current=False):
    """End every session of the user (but the current request's one if keep_current and the
    request is the user's); returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    own = current_user and current_user.is_authenticated and current_user.id == user.id
    if keep_current and own and current_handle():
        query = query.where(UserSession.handle != current_handle())
    ended = db.session.execute(query).rowcount
    log.info("%s sessions of user %s ended", ended, user.id)
    return ended


def end_other_sessions_of(sender, user, **extra):
    """password_changed / password_reset: the user's other sessions end."""
    end_sessions(user, keep_current=True)


def purge_ended():
    """Delete registry rows past the absolute timeout or the longest idle timeout, and the
    expired data the session store keeps (the database store; Redis expires keys itself)."""
    config = current_app.config
    longest_idle = max(config["IDLE_TIMEOUT"], config["IDLE_TIMEOUT_RESTRICTED"])
    now = utc_now()
    rows = db.session.execute(
        delete(UserSession).where(
            (UserSession.created_at < now - config["ABSOLUTE_TIMEOUT"])
            | (UserSession.last_seen_at < now - longest_idle)
        )
    ).rowcount
    purge_store = getattr(current_app.session_interface, "purge_expired", None)
    stored = purge_store() if purge_store else 0
    db.session.flush()
    return rows, stored


def register_sessions(app):
    from casebank.auth.session_store import refuse_without_session_store, session_interface

    app.session_interface = session_interface(app)
    app.before_request(refuse_without_session_store)
    app.before_request(enforce_live_session)
    user_authenticated.connect(start_session, app, weak=False)
    user_logged_out.connect(forget_session, app, weak=False)
    password_changed.connect(end_other_sessions_of, app, weak=False)
    password_reset.connect(end_other_sessions_of, app, weak=False)
