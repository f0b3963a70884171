"""Where Flask-Session keeps session data: Redis when CASEBANK_REDIS_URL is set (shared by every
worker and host), otherwise our own session_store table.

Flask-Session does the mechanics (random session ids, the cookie, serialisation); the database
adapter only stores rows. It goes through db.session, and the request has already committed or
rolled back its own work when the session is saved (create_app's after_request), so the commit
here carries nothing but the session.
"""

import logging
from datetime import timedelta

from flask import current_app, request
from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import delete
from sqlalchemy.exc import OperationalError

from casebank.extensions import db
from casebank.models import StoredSession
from casebank.models.case_study import utc_now

log = logging.getLogger(__name__)
STORE_DOWN = "casebank.session_store_down"  # request.environ key: why no session was read


class ShortLivedWithoutLogin:
    """Sessions without a login (a form's CSRF token, a login half-way through its two-factor
    step) are kept for LOGINLESS_SESSION_LIFETIME, as long as a form's CSRF token is valid,
    not the 12 hours of a login: every GET of the login form stores one, bots included."""

    def _upsert_session(self, session_lifetime, session, store_id):
        if "_user_id" not in session:
            shorter = current_app.config["LOGINLESS_SESSION_LIFETIME"]
            session_lifetime = min(session_lifetime, shorter)
        super()._upsert_session(session_lifetime, session, store_id)


class RedisSessions(ShortLivedWithoutLogin, RedisSessionInterface):
    """Redis expires each key itself, at its lifetime.

    Redis down: a request that reads a session gets a null session and answers the busy page
    (503, refuse_without_session_store); a response whose session cannot be stored becomes that
    page too (the visitor would otherwise be told "logged in" and find themselves logged out).
    Pages that need no session are served as usual."""

    def open_session(self, app, request):
        try:
            return super().open_session(app, request)
        except RedisError as error:
            request.environ[STORE_DOWN] = error
            return self.make_null_session(app)

    def save_session(self, app, session, response):
        if session is None or response.status_code == 503:
            return  # opening the session failed, or the request already said busy
        try:
            super().save_session(app, session, response)
        except RedisError:
            from casebank.errors import busy

            body, status, headers = busy()
            response.set_data(body if isinstance(body, str | bytes) else body.get_data())
            response.status_code = status
            response.headers.update(headers)
            response.headers.pop("Set-Cookie", None)


def refuse_without_session_store():
    """before_request: the session could not be read; the error handlers answer 503."""
    error = request.environ.get(STORE_DOWN)
    if error is not None:
        raise error


class DatabaseStorage(ServerSideSessionInterface):
    """Flask-Session's storage methods over the session_store table (made by a migration).

    Rows do not expire by themselves: every SESSION_PURGE_EVERY new rows a worker stores, it
    deletes the expired ones (so visitors' sessions cannot pile up between daily
    purge-sessions runs)."""

    ttl = False
    new_rows = 0  # per process

    def _register_cleanup_app_command(self):
        """`flask casebank purge-sessions` does this, with the session registry."""

    def _retrieve_session_data(self, store_id):
        row = db.session.get(StoredSession, store_id)
        if row is None or row.expires_at <= utc_now():
            return None
        return self.serializer.decode(row.data)

    def _delete_session(self, store_id):
        # No commit: regenerate() calls this mid-request; the request commits it or not.
        db.session.execute(delete(StoredSession).where(StoredSession.store_id == store_id))

    def _upsert_session(self, session_lifetime: timedelta, session, store_id):
        row = db.session.get(StoredSession, store_id)
        if row is None:
            row = StoredSession(store_id=store_id)
            self.count_new_row()
        row.data = self.serializer.encode(session)
        row.expires_at = utc_now() + session_lifetime
        db.session.add(row)

    def save_session(self, app, session: ServerSideSession, response):
        if response.status_code == 503:
            return  # the database was too busy for the request; it would be for its session too
        try:
            super().save_session(app, session, response)
            db.session.commit()
        except OperationalError:
            # The response is already made: the visitor keeps their previous session state.
            db.session.rollback()
            log.warning("session not saved on %s: the database did not answer", request.path)

    def count_new_row(self):
        DatabaseStorage.new_rows += 1
        if DatabaseStorage.new_rows % current_app.config["SESSION_PURGE_EVERY"] == 0:
            self.purge_expired()

    def purge_expired(self):
        """Delete the data of sessions past their lifetime; returns how many rows went."""
        expired = delete(StoredSession).where(StoredSession.expires_at <= utc_now())
        return db.session.execute(expired).rowcount


class DatabaseSessionInterface(ShortLivedWithoutLogin, DatabaseStorage):
    """The database store, visitors' sessions short-lived."""


def session_interface(app):
    """The Flask-Session interface this app's configuration asks for."""
    options = {
        "app": app,
        "key_prefix": app.config["SESSION_KEY_PREFIX"],
        "permanent": True,
        "sid_length": app.config["SESSION_ID_LENGTH"],
    }
    if app.config["REDIS_URL"]:
        # Short timeouts: Redis down must answer the busy page at once, not hang the worker.
        client = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=2)
        return RedisSessions(client=client, **options)
    return DatabaseSessionInterface(**options)
