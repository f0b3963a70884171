"""Failed logins are throttled per (account, client address), so a stranger who knows an address
cannot lock its owner out; a far higher account-wide limit slows guessing from many addresses."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from casebank.auth import lockout
from casebank.mail import outbox_messages
from casebank.models import LoginThrottle
from casebank.models.case_study import utc_now
from casebank.services import accounts
from tests.auth_actions import PASSWORD, ROLE_USERS, AuthActions

PARTNER = ROLE_USERS["partner"][0]
OWNER_ADDRESS = "198.51.100.7"
STRANGER_ADDRESS = "203.0.113.9"
WRONG = "Wrong-Password-123"


class AddressedAuth(AuthActions):
    """A browser at a given address: every request it sends carries that REMOTE_ADDR."""

    def __init__(self, app, address):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        super().__init__(app, client)

    def is_logged_in(self):
        return self.client.get("/account/").status_code == 200


@pytest.fixture
def at(app):
    """at(address): a fresh browser at that address."""
    return lambda address: AddressedAuth(app, address)


def fail(browser, times, email=PARTNER):
    return [browser.login(email=email, password=WRONG).status_code for _ in range(times)]


def visible_text(response):
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def test_a_good_login_resets_the_failure_count(at):
    owner = at(OWNER_ADDRESS)
    fail(owner, 4)
    owner.login(email=PARTNER)
    assert owner.is_logged_in()
    owner.logout()
    fail(owner, 4)
    owner.login(email=PARTNER)
    assert owner.is_logged_in()


def test_a_strangers_failures_do_not_lock_the_owner_out(at):
    answers = fail(at(STRANGER_ADDRESS), 12)
    assert 429 in answers  # the stranger is slowed down...
    owner = at(OWNER_ADDRESS)
    owner.login(email=PARTNER)
    assert owner.is_logged_in()  # ...the owner, from their own address, is not


def test_failures_from_one_address_lock_that_address_with_the_wrong_password_answer(at):
    stranger = at(STRANGER_ADDRESS)
    fail(stranger, 5)
    wrong = stranger.login(email=PARTNER, password=WRONG)
    right = stranger.login(email=PARTNER)
    assert not stranger.is_logged_in()
    # A lock must not confirm a right password.
    assert right.status_code == wrong.status_code == 200
    assert visible_text(right) == visible_text(wrong)


def test_the_address_lock_doubles_with_each_further_failure(at, db):
    stranger = at(STRANGER_ADDRESS)
    user = accounts.find_user(PARTNER)
    fail(stranger, 5)
    first = lockout.address_locked_until(user, STRANGER_ADDRESS) - utc_now()
    assert timedelta(seconds=50) < first <= lockout.FIRST_LOCK
    fail(stranger, 1)
    second = lockout.address_locked_until(user, STRANGER_ADDRESS) - utc_now()
    assert second > first * 1.9


def test_an_ipv6_client_is_counted_by_its_64_network(at):
    for host in range(5):
        fail(at(f"2001:db8:1:2::{host + 1}"), 1)
    neighbour = at("2001:db8:1:2:ffff::1")
    neighbour.login(email=PARTNER)
    assert not neighbour.is_logged_in()
    owner = at("2001:db8:1:3::1")
    owner.login(email=PARTNER)
    assert owner.is_logged_in()


def test_the_account_wide_limit_locks_every_address_and_mails_the_owner(at, monkeypatch):
    monkeypatch.setattr(lockout, "ACCOUNT_FAILURES_PER_DAY", 10)
    mails_before = len(outbox_messages())
    for address in ("203.0.113.1", "203.0.113.2"):
        fail(at(address), 5)
    owner = at(OWNER_ADDRESS)
    owner.login(email=PARTNER)
    assert not owner.is_logged_in()
    mails = outbox_messages()[mails_before:]
    assert len(mails) == 1
    mail = mails[0].read_text()
    assert PARTNER in mail and "/account/reset" in mail


def test_the_account_wide_lock_is_bounded(at, db, monkeypatch):
    monkeypatch.setattr(lockout, "ACCOUNT_FAILURES_PER_DAY", 10)
    for address in ("203.0.113.1", "203.0.113.2"):
        fail(at(address), 5)
    user = accounts.find_user(PARTNER)
    assert user.locked_until <= utc_now() + lockout.ACCOUNT_LOCK
    user.locked_until = utc_now() - timedelta(seconds=1)  # the hour has passed
    db.session.commit()
    owner = at(OWNER_ADDRESS)
    owner.login(email=PARTNER)
    assert owner.is_logged_in()


def test_a_password_reset_lifts_every_lock(at, db, monkeypatch):
    monkeypatch.setattr(lockout, "ACCOUNT_FAILURES_PER_DAY", 10)
    for address in ("203.0.113.1", "203.0.113.2"):
        fail(at(address), 5)
    owner = at(OWNER_ADDRESS)
    owner.post_form("/account/reset", {"email": PARTNER})
    path = re.search(r"http://localhost(/account/reset/\S+)", outbox_messages()[-1].read_text())
    new_password = "Tortoise-Ferry-Mombasa-42"
    owner.post_form(path.group(1), {"password": new_password, "password_confirm": new_password})
    again = at("203.0.113.1")
    again.login(email=PARTNER, password=new_password)
    assert again.is_logged_in()


def test_failures_a_day_old_are_forgotten(at, db):
    stranger = at(STRANGER_ADDRESS)
    fail(stranger, 4)
    user = accounts.find_user(PARTNER)
    for throttle in db.session.scalars(select(LoginThrottle).filter_by(user_id=user.id)):
        throttle.last_failure_at -= timedelta(days=1, seconds=1)
    user.failed_logins_since -= timedelta(days=1, seconds=1)
    db.session.commit()
    fail(stranger, 1)
    stranger.login(email=PARTNER)
    assert stranger.is_logged_in()


def test_two_factor_failures_count_for_the_address(app, at):
    officer = ROLE_USERS["officer"][0]
    stranger = at(STRANGER_ADDRESS)
    for _ in range(5):
        response = stranger.post_form("/account/login", {"email": officer, "password": PASSWORD})
        assert "/tf-validate" in response.location
        stranger.post_form("/account/tf-validate", {"code": "000000"})
    stranger.login(email=officer)
    assert not stranger.is_logged_in()
    owner = at(OWNER_ADDRESS)
    owner.login(email=officer)
    assert owner.is_logged_in()


def test_a_day_long_lock_does_not_forget_its_count_when_it_ends(at, db):
    stranger = at(STRANGER_ADDRESS)
    fail(stranger, 5)
    user = accounts.find_user(PARTNER)
    throttle = db.session.scalars(select(LoginThrottle).filter_by(user_id=user.id)).one()
    throttle.failures = 17
    throttle.last_failure_at = utc_now() - lockout.LONGEST_LOCK - timedelta(seconds=2)
    throttle.locked_until = utc_now() - timedelta(seconds=1)
    db.session.commit()
    fail(stranger, 1)
    db.session.refresh(throttle)
    assert throttle.failures == 18
    assert throttle.locked_until - utc_now() > lockout.LONGEST_LOCK - timedelta(minutes=1)


def test_behind_a_proxy_the_forwarded_address_is_the_client(app, monkeypatch):
    from casebank import behind_proxies

    monkeypatch.setattr(app, "wsgi_app", behind_proxies(app.wsgi_app, 1))
    proxy = "10.0.0.2"  # every request reaches the app from the proxy
    stranger, owner = AddressedAuth(app, proxy), AddressedAuth(app, proxy)
    stranger.client.environ_base["HTTP_X_FORWARDED_FOR"] = STRANGER_ADDRESS
    owner.client.environ_base["HTTP_X_FORWARDED_FOR"] = OWNER_ADDRESS
    fail(stranger, 6)
    owner.login(email=PARTNER)
    assert owner.is_logged_in()


def test_the_number_of_proxies_to_trust_is_a_setting(app):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from casebank import create_app
    from casebank.extensions import db as database

    assert not isinstance(app.wsgi_app, ProxyFix)  # by default X-Forwarded-For is not trusted
    proxied = create_app("testing", {"PROXY_COUNT": 1})
    assert isinstance(proxied.wsgi_app, ProxyFix) and proxied.wsgi_app.x_for == 1
    with proxied.app_context():
        database.engine.dispose()


def test_rate_limits_count_an_ipv6_64_as_one_client(at):
    answers = [
        at(f"2001:db8:9:9::{n + 1:x}").login(email=f"n{n}@example.org", password=WRONG).status_code
        for n in range(21)
    ]
    assert answers[:20] == [200] * 20
    assert answers[20] == 429


# --- every step that checks a credential honours the lock ------------------------------------


def at_two_factor_step(browser, email):
    response = browser.post_form("/account/login", {"email": email, "password": PASSWORD})
    assert "/tf-validate" in response.location
    return response


def right_code(app, email):
    from tests.auth_actions import totp_code

    return totp_code(app, accounts.find_user(email))


def test_a_client_locked_at_the_two_factor_step_cannot_go_on_guessing_codes(app, at):
    officer = ROLE_USERS["officer"][0]
    stranger = at(STRANGER_ADDRESS)
    at_two_factor_step(stranger, officer)
    for _ in range(lockout.LOCK_AFTER_FAILURES):
        stranger.post_form("/account/tf-validate", {"code": "000000"})
    stranger.post_form("/account/tf-validate", {"code": right_code(app, officer)})
    assert not stranger.is_logged_in()  # locked: even the right code is refused


def test_the_account_wide_lock_refuses_the_right_two_factor_code(app, at, db):
    officer = ROLE_USERS["officer"][0]
    stranger = at(STRANGER_ADDRESS)
    at_two_factor_step(stranger, officer)
    user = accounts.find_user(officer)
    user.locked_until = utc_now() + lockout.ACCOUNT_LOCK  # others guessed from many clients
    db.session.commit()
    response = stranger.post_form("/account/tf-validate", {"code": right_code(app, officer)})
    assert response.status_code == 200 and "That code is not right" in visible_text(response)
    assert not stranger.is_logged_in()


def test_a_locked_client_cannot_guess_the_password_at_re_authentication(app, at):
    """A stolen session must not become an unthrottled password oracle (/account/verify)."""
    thief = at(STRANGER_ADDRESS)
    thief.login("partner")
    for _ in range(lockout.LOCK_AFTER_FAILURES):
        thief.post_form("/account/verify", {"password": WRONG})
    response = thief.post_form("/account/verify", {"password": PASSWORD})
    assert response.status_code == 200  # the form again, not the redirect of a success
    assert "Invalid password" in visible_text(response)
