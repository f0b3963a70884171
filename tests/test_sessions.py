"""Sessions that really end: a session cookie copied before logout, a timeout, a password change,
deactivation, or an end asked by an admin or by the user elsewhere, opens nothing afterwards.

Sessions live on the server (the database, or Redis when CASEBANK_REDIS_URL is set); the cookie
holds a random id only, and every authenticated request needs its live row in the registry.
Time is simulated by moving the registry row's timestamps.
"""

import re
import socket
import uuid
from datetime import timedelta

import flask
import pytest
from redis import Redis
from sqlalchemy import select

from casebank import create_app
from casebank.auth.sessions import HANDLE, describe_device
from casebank.crypto import new_master_key
from casebank.extensions import db as _db
from casebank.models import AuditEvent, StoredSession, UserSession
from casebank.models.case_study import utc_now
from casebank.services import accounts
from tests.auth_actions import PASSWORD, ROLE_USERS, AuthActions, csrf_token, totp_code

RESTRICTED = "/restricted/"
NEW_PASSWORD = "Tortoise-Ferry-Mombasa-42"
REDIS_URL = "redis://127.0.0.1:6379/11"


def cookie_name(app):
    return app.config["SESSION_COOKIE_NAME"]


def session_cookie(app, client):
    cookie = client.get_cookie(cookie_name(app))
    return cookie.value if cookie else None


def replay(app, cookie, path=RESTRICTED):
    """What someone holding a copy of the cookie gets, from another browser."""
    thief = app.test_client()
    thief.set_cookie(cookie_name(app), cookie)
    return thief.get(path)


def opens_restricted_area(app, cookie):
    return replay(app, cookie).status_code == 200


def opens_account_page(app, cookie):
    return replay(app, cookie, "/account/").status_code == 200


def is_logged_in(client):
    return client.get("/account/").status_code == 200


def registry_row(client, db):
    with client.session_transaction() as session:
        handle = session.get(HANDLE)
    return db.session.scalar(select(UserSession).filter_by(handle=handle))


def second_browser(app, role):
    other = app.test_client()
    AuthActions(app, other).login(role)
    return other


def logged_in_officer(app, auth, client):
    auth.login("officer")
    cookie = session_cookie(app, client)
    assert opens_restricted_area(app, cookie)  # the copy works until the session ends
    return cookie


def audit_actions(db):
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


# --- replaying a copied cookie ------------------------------------------------------------------


def test_a_cookie_copied_before_logout_opens_nothing_after_it(app, auth, client):
    cookie = logged_in_officer(app, auth, client)
    auth.logout()
    response = replay(app, cookie)
    assert response.status_code == 302 and "/account/login" in response.location
    assert not is_logged_in(client)


def test_logout_deletes_the_registry_row_and_the_stored_session(app, auth, client, db):
    cookie = logged_in_officer(app, auth, client)
    row = registry_row(client, db)
    auth.logout()
    assert db.session.get(UserSession, row.id) is None
    stored = app.config["SESSION_KEY_PREFIX"] + cookie
    assert db.session.get(StoredSession, stored) is None


def test_a_restricted_session_ends_after_thirty_idle_minutes(app, auth, client, db):
    cookie = logged_in_officer(app, auth, client)
    registry_row(client, db).last_seen_at -= timedelta(minutes=31)
    db.session.flush()
    assert client.get(RESTRICTED).status_code == 302
    assert not is_logged_in(client)
    assert not opens_restricted_area(app, cookie)
    assert "session.expired" in audit_actions(db)


def test_a_copied_cookie_is_refused_after_the_idle_timeout_even_if_unused(app, auth, client, db):
    cookie = logged_in_officer(app, auth, client)
    registry_row(client, db).last_seen_at -= timedelta(minutes=31)
    db.session.flush()
    assert not opens_restricted_area(app, cookie)
    assert not is_logged_in(client)


def test_a_partner_session_survives_thirty_idle_minutes_but_not_two_hours(auth, client, db):
    auth.login("partner")
    row = registry_row(client, db)
    row.last_seen_at -= timedelta(minutes=31)
    db.session.flush()
    assert is_logged_in(client)
    row.last_seen_at -= timedelta(hours=2)
    db.session.flush()
    assert not is_logged_in(client)


def test_a_session_ends_after_the_absolute_timeout_however_busy(app, auth, client, db):
    cookie = logged_in_officer(app, auth, client)
    row = registry_row(client, db)
    row.created_at -= timedelta(hours=12, minutes=1)
    db.session.flush()
    assert not opens_restricted_area(app, cookie)
    assert not is_logged_in(client)


def test_a_cookie_copied_before_deactivation_opens_nothing_after_it(app, auth, client, db):
    officer_browser = app.test_client()
    AuthActions(app, officer_browser).login("officer")
    cookie = session_cookie(app, officer_browser)
    officer = accounts.find_user(ROLE_USERS["officer"][0])
    auth.login("admin")
    response = auth.post_form(f"/admin/users/{officer.id}/active", {"deactivate": "y"})
    assert response.status_code == 302
    assert not opens_restricted_area(app, cookie)
    assert not officer.active
    assert db.session.scalars(select(UserSession).filter_by(user_id=officer.id)).all() == []
    assert "account.deactivated" in audit_actions(db)


def test_a_login_half_way_through_two_factor_cannot_finish_after_deactivation(app, auth, db):
    """Flask-Security's two-factor step logs in whoever the half-way state names, active or
    not: deactivation must void that state, not only the finished sessions."""
    officer_browser = AuthActions(app, app.test_client())
    email = ROLE_USERS["officer"][0]
    response = officer_browser.post_form("/account/login", {"email": email, "password": PASSWORD})
    assert "/tf-validate" in response.location
    code_form = officer_browser.client.get("/account/tf-validate").get_data(as_text=True)
    officer = accounts.find_user(email)
    auth.login("admin")
    auth.post_form(f"/admin/users/{officer.id}/active", {"deactivate": "y"})
    code = {"code": totp_code(app, officer), "csrf_token": csrf_token(code_form)}
    officer_browser.client.post("/account/tf-validate", data=code)
    assert db.session.scalars(select(UserSession).filter_by(user_id=officer.id)).all() == []
    assert audit_actions(db)[-1] == "account.deactivated"  # no login.success after it


def test_a_deactivated_user_cannot_log_in_until_reactivated(app, auth, client, db):
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    auth.login("admin")
    auth.post_form(f"/admin/users/{partner.id}/active", {"deactivate": "y"})
    partner_browser = app.test_client()
    AuthActions(app, partner_browser).login("partner")
    assert not is_logged_in(partner_browser)
    auth.post_form(f"/admin/users/{partner.id}/active", {"reactivate": "y"})
    AuthActions(app, partner_browser).login("partner")
    assert is_logged_in(partner_browser)
    assert "account.reactivated" in audit_actions(db)


def test_an_admin_cannot_deactivate_their_own_account(auth, client, db):
    admin = accounts.find_user(ROLE_USERS["admin"][0])
    auth.login("admin")
    response = auth.post_form(f"/admin/users/{admin.id}/active", {"deactivate": "y"}, follow=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert admin.active and is_logged_in(client)


def test_a_stale_admin_enters_the_password_again_to_end_a_users_sessions(app, auth, client):
    officer_browser = second_browser(app, "officer")
    officer = accounts.find_user(ROLE_USERS["officer"][0])
    auth.login("admin")
    make_stale(client)
    response = auth.post_form(f"/admin/users/{officer.id}/sessions/end", {})
    assert "/account/verify" in response.location
    assert f"next=/admin/users/{officer.id}" in response.location
    assert is_logged_in(officer_browser)


def test_a_stale_admin_is_brought_back_to_the_users_page_to_deactivate(app, auth, client):
    """Not to the POST-only URL that asked, which a browser would GET (405) after verifying."""
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    auth.login("admin")
    make_stale(client)
    response = auth.post_form(f"/admin/users/{partner.id}/active", {"deactivate": "y"})
    assert "/account/verify" in response.location
    assert response.location.endswith(f"next=/admin/users/{partner.id}")
    assert partner.active


def test_a_cookie_copied_before_a_password_change_opens_nothing_after_it(app, auth, client):
    # A partner: an officer's second login within one TOTP time step would reuse its code.
    other = second_browser(app, "partner")
    cookie = session_cookie(app, other)
    assert opens_account_page(app, cookie)
    auth.login("partner")
    auth.post_form(
        "/account/change",
        {"password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD},
    )
    assert is_logged_in(client)  # the session that changed it goes on
    assert not opens_account_page(app, cookie)
    assert not is_logged_in(other)


def test_a_cookie_copied_before_an_admin_ends_the_sessions_opens_nothing(app, auth, client, db):
    officer_browser = second_browser(app, "officer")
    cookie = session_cookie(app, officer_browser)
    officer = accounts.find_user(ROLE_USERS["officer"][0])
    auth.login("admin")
    response = auth.post_form(f"/admin/users/{officer.id}/sessions/end", {}, follow=True)
    assert "1 session of officer@casebank.example.org ended." in response.get_data(as_text=True)
    assert not opens_restricted_area(app, cookie)
    assert not is_logged_in(officer_browser)
    assert officer.active  # ending sessions is not deactivation: the officer may log in again
    assert "account.sessions_ended" in audit_actions(db)


def test_a_role_change_ends_the_users_sessions(app, auth, client, db):
    officer_browser = second_browser(app, "officer")
    cookie = session_cookie(app, officer_browser)
    officer = accounts.find_user(ROLE_USERS["officer"][0])
    auth.login("admin")
    auth.post_form(
        f"/admin/users/{officer.id}", {"roles": ["officer", "editor"], "save_roles": "y"}
    )
    assert not opens_restricted_area(app, cookie)


def end_form_paths(html):
    return re.findall(r'action="(/account/sessions/[^"/]+/end)"', html)


def other_session_path(page):
    """The end-form path of the one session listed that is not the current one."""
    paths = end_form_paths(page)
    assert len(paths) == 2
    current = re.search(r"\(this session\).*?action=\"([^\"]+)\"", page, re.S).group(1)
    return next(p for p in paths if p != current)


def test_a_user_ends_a_session_from_another_one(app, auth, client):
    laptop = second_browser(app, "partner")
    cookie = session_cookie(app, laptop)
    auth.login("partner")
    page = client.get("/account/").get_data(as_text=True)
    other = other_session_path(page)
    response = client.post(other, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert not opens_account_page(app, cookie)
    assert not is_logged_in(laptop)
    assert is_logged_in(client)


def make_stale(client):
    """The session's password was entered an hour ago (Flask-Security's freshness stamp)."""
    with client.session_transaction() as session:
        session["fs_paa"] = session["fs_paa"] - 3600


def test_ending_ones_own_sessions_needs_the_password_entered_again(app, auth, client):
    """ASVS 5.0 7.5.2: users terminate sessions having re-entered their login credentials."""
    laptop = second_browser(app, "partner")
    auth.login("partner")
    make_stale(client)
    page = client.get("/account/").get_data(as_text=True)
    other = other_session_path(page)
    response = client.post(other, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and "/account/verify" in response.location
    assert "next=/account/" in response.location  # back to the list, not to a POST-only URL
    assert is_logged_in(laptop)
    auth.post_form("/account/verify", {"password": PASSWORD})
    page = client.get("/account/").get_data(as_text=True)
    assert client.post(other, data={"csrf_token": csrf_token(page)}).status_code == 302
    assert not is_logged_in(laptop)


def test_a_user_cannot_end_another_users_session(app, auth, client, db):
    partner_browser = second_browser(app, "partner")
    partner_row = registry_row(partner_browser, db)
    auth.login("officer")
    page = client.get("/account/").get_data(as_text=True)
    path = f"/account/sessions/{partner_row.handle}/end"
    response = client.post(path, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 404
    assert is_logged_in(partner_browser)
    missing = client.post(
        "/account/sessions/no-such-session/end", data={"csrf_token": csrf_token(page)}
    )
    assert missing.status_code == 404


def test_ending_a_session_needs_a_csrf_token(app, auth, client, db):
    laptop = second_browser(app, "partner")
    auth.login("partner")
    response = client.post(f"/account/sessions/{registry_row(laptop, db).handle}/end")
    assert response.status_code == 400
    assert is_logged_in(laptop)


# --- the session id --------------------------------------------------------------------------


def test_the_login_response_sets_a_new_session_id(app, auth, client):
    client.get("/account/login")
    before = session_cookie(app, client)
    assert before
    auth.login("partner")
    after = session_cookie(app, client)
    assert after and after != before
    assert replay(app, before, "/account/").status_code != 200


def test_completing_two_factor_sets_a_new_session_id(app, auth, client):
    auth.post_form("/account/login", {"email": ROLE_USERS["officer"][0], "password": PASSWORD})
    half_way = session_cookie(app, client)
    auth.login("officer")
    assert session_cookie(app, client) != half_way
    assert not opens_restricted_area(app, half_way)
    assert client.get(RESTRICTED).status_code == 200


def test_the_right_password_before_the_two_factor_step_sets_a_new_session_id(app, auth, client):
    """The half-way state (whose password was right) must not stay under an id that existed
    before: someone who planted that id could finish the login, or enrol their own 2FA."""
    client.get("/account/login")
    before = session_cookie(app, client)
    response = auth.post_form(
        "/account/login", {"email": ROLE_USERS["officer"][0], "password": PASSWORD}
    )
    assert "/tf-validate" in response.location
    assert session_cookie(app, client) != before
    assert replay(app, before, "/account/tf-validate").status_code != 200
    assert client.get("/account/tf-validate").status_code == 200


def test_re_authentication_sets_a_new_session_id(app, auth, client):
    """ASVS 5.0 7.2.4: a new session token on authentication, including re-authentication."""
    auth.login("partner")
    before = session_cookie(app, client)
    response = auth.post_form("/account/verify", {"password": PASSWORD})
    assert response.status_code == 302
    assert session_cookie(app, client) != before
    assert not opens_account_page(app, before)
    assert is_logged_in(client)


def test_the_cookie_holds_only_a_random_id_and_the_pages_never_show_it(app, auth, client):
    auth.login("officer")
    cookie = session_cookie(app, client)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", cookie)
    assert cookie not in client.get("/account/").get_data(as_text=True)


# --- the registry -----------------------------------------------------------------------------


def test_the_account_page_lists_the_users_live_sessions(app, auth, client, db):
    second_browser(app, "partner")
    auth.login("partner")
    row = registry_row(client, db)
    row.device = "Firefox on Windows"
    db.session.flush()
    page = client.get("/account/").get_data(as_text=True)
    assert "Firefox on Windows <strong>(this session)</strong>" in page
    assert len(end_form_paths(page)) == 2
    assert "officer@" not in page


def test_last_seen_is_written_at_most_about_once_a_minute(auth, client, db):
    auth.login("partner")
    client.get("/")  # the landing page shows (and takes from the session) the 2FA step's flash
    row = registry_row(client, db)
    seen = row.last_seen_at
    response = client.get("/account/")
    db.session.refresh(row)
    assert row.last_seen_at == seen
    assert "Set-Cookie" not in response.headers  # nor is the stored session written again
    row.last_seen_at = seen - timedelta(minutes=2)
    db.session.flush()
    client.get("/account/")
    db.session.refresh(row)
    assert row.last_seen_at > seen - timedelta(minutes=2)


def test_the_registry_records_device_and_address(auth, client, db):
    client.environ_base["HTTP_USER_AGENT"] = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
    )
    auth.login("partner")
    row = registry_row(client, db)
    assert row.device == "Firefox on Windows"
    assert row.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/18.1 Safari/605.1.15", "Safari on macOS"),
        ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
        ("x" * 100_000 + " Firefox/1", "Unknown device"),
    ],
)  # fmt: skip
def test_the_device_is_a_short_description(user_agent, device):
    assert describe_device(user_agent) == device


def test_purge_deletes_timed_out_sessions(app, auth, client, runner, db):
    auth.login("partner")
    row = registry_row(client, db)
    row.created_at -= timedelta(hours=13)
    db.session.flush()
    result = runner.invoke(args=["casebank", "purge-sessions"])
    assert result.exit_code == 0, result.output
    assert db.session.get(UserSession, row.id) is None


def test_a_failed_request_commits_its_session_but_none_of_its_work(app, db):
    partner = accounts.find_user(ROLE_USERS["partner"][0])
    name = partner.name
    with app.test_request_context("/"):
        flask.session["note"] = "kept"
        partner.name = "Half-written"
        db.session.flush()
        response = app.process_response(app.response_class(status=400))
        store_id = app.config["SESSION_KEY_PREFIX"] + flask.session.sid
    assert "Set-Cookie" in response.headers
    db.session.rollback()  # undoes whatever was not committed
    assert db.session.get(StoredSession, store_id) is not None
    assert accounts.find_user(ROLE_USERS["partner"][0]).name == name


# --- the cookie --------------------------------------------------------------------------------


def test_production_names_the_cookie_with_the_host_prefix(app, monkeypatch):
    monkeypatch.setenv("CASEBANK_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("CASEBANK_ENCRYPTION_KEY", new_master_key())
    monkeypatch.setenv("CASEBANK_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    production = create_app("production")
    try:
        response = production.test_client().get("https://localhost/account/login")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-casebank_session=")
        attributes = [a.strip().lower() for a in cookie.split(";")[1:]]
        assert "secure" in attributes and "httponly" in attributes and "path=/" in attributes
        assert not any(a.startswith("domain") for a in attributes)
    finally:
        with production.app_context():
            _db.engine.dispose()


def test_development_keeps_a_plain_cookie_name_over_http(app):
    assert app.config["SESSION_COOKIE_NAME"] == "casebank_session"
    assert not app.config["SESSION_COOKIE_SECURE"]


# --- Redis --------------------------------------------------------------------------------------


def redis_running():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def redis_workers(app):
    """Two workers sharing one Redis (a database number of its own, a key prefix per test)."""
    prefix = f"casebank-test-{uuid.uuid4().hex}:"
    overrides = {"REDIS_URL": REDIS_URL, "SESSION_KEY_PREFIX": prefix}
    workers = [create_app("testing", overrides), create_app("testing", overrides)]
    client = Redis.from_url(REDIS_URL)
    try:
        yield workers, client, prefix
    finally:
        for key in client.scan_iter(match=prefix + "*"):
            client.delete(key)
        client.close()
        for worker in workers:
            with worker.app_context():
                _db.engine.dispose()


@pytest.mark.skipif(not redis_running(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_sessions_live_there_and_end_on_every_worker(redis_workers, db):
    (first, second), redis, prefix = redis_workers
    browser = first.test_client()
    AuthActions(first, browser).login("partner")
    cookie = session_cookie(first, browser)
    assert redis.exists(prefix + cookie)
    assert db.session.get(StoredSession, prefix + cookie) is None
    assert replay(second, cookie, "/account/").status_code == 200  # the other worker knows it
    AuthActions(first, browser).logout()
    assert not redis.exists(prefix + cookie)
    assert replay(second, cookie, "/account/").status_code != 200


# --- sessions without a login -------------------------------------------------------------------


def stored_lifetime(db, app, cookie):
    row = db.session.get(StoredSession, app.config["SESSION_KEY_PREFIX"] + cookie)
    return row.expires_at - utc_now()


def test_a_visitors_session_is_kept_for_an_hour_not_twelve(app, client, db):
    """A bot fetching the login form over and over must not fill the store for 12 hours."""
    client.get("/account/login")  # the form's CSRF token is the session's only content
    assert stored_lifetime(db, app, session_cookie(app, client)) <= timedelta(hours=1)


def test_a_logged_in_session_is_kept_for_the_absolute_timeout(app, auth, client, db):
    auth.login("partner")
    lifetime = stored_lifetime(db, app, session_cookie(app, client))
    assert lifetime > app.config["ABSOLUTE_TIMEOUT"] - timedelta(minutes=1)


def test_the_database_store_purges_expired_sessions_as_it_grows(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_PURGE_EVERY", 3)
    stale = StoredSession(store_id="stale", data=b"", expires_at=utc_now() - timedelta(hours=1))
    db.session.add(stale)
    db.session.commit()
    for _ in range(3):
        app.test_client().get("/account/login")
    assert db.session.get(StoredSession, "stale") is None


@pytest.mark.skipif(not redis_running(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_a_visitors_session_expires_within_the_hour(redis_workers):
    (first, _), redis, prefix = redis_workers
    browser = first.test_client()
    browser.get("/account/login")
    assert 0 < redis.ttl(prefix + session_cookie(first, browser)) <= 3600
