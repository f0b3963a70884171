"""Where Flask-Session keeps session data: Redis when CASEBANK_REDIS_URL is set (shared by every
worker and host), otherwise our own session_store table.

Flask-Session does the mechanics (random session ids, the cookie, serialisation); the database
adapter only stores rows. It goes through db.session, and the request has already committed or
rolled back its own work when the session is saved (create_app's after_request), so the commit
here carries nothing but the session.
"""

from datetime import timedelta

from flask_session.base import ServerSideSession, ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface
from redis import Redis
from sqlalchemy import delete

from casebank.extensions import db
from casebank.models import StoredSession
from casebank.models.case_study import utc_now


class DatabaseSessionInterface(ServerSideSessionInterface):
    """Flask-Session's storage methods over the session_store table (made by a migration)."""

    ttl = False  # rows do not expire by themselves: purge_expired() deletes them

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
        row = db.session.get(StoredSession, store_id) or StoredSession(store_id=store_id)
        row.data = self.serializer.encode(session)
        row.expires_at = utc_now() + session_lifetime
        db.session.add(row)

    def save_session(self, app, session: ServerSideSession, response):
        super().save_session(app, session, response)
        db.session.commit()

    def purge_expired(self):
        """Delete the data of sessions past their lifetime; returns how many rows went."""
        expired = delete(StoredSession).where(StoredSession.expires_at <= utc_now())
        return db.session.execute(expired).rowcount


def session_interface(app):
    """The Flask-Session interface this app's configuration asks for."""
    options = {
        "app": app,
        "key_prefix": app.config["SESSION_KEY_PREFIX"],
        "permanent": True,
        "sid_length": app.config["SESSION_ID_LENGTH"],
    }
    if app.config["REDIS_URL"]:
        client = Redis.from_url(app.config["REDIS_URL"])
        return RedisSessionInterface(client=client, **options)
    return DatabaseSessionInterface(**options)
