"""Personal access tokens: made on the account page and shown once, stored as a keyed hash,
checked at every use (expired, revoked, disabled account, lapsed vetting, wrong scope),
another user's never usable, rate-limited; a cookie never writes through the API."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from casebank.auth import tokens
from casebank.models import ApiToken, AuditEvent
from casebank.models.case_study import utc_now
from tests.api_helpers import bearer, token_for
from tests.auth_actions import PASSWORD, ROLE_USERS, csrf_token
from tests.factories import join_partner, make_case, role_user
from tests.test_accounts import last_mail, link_in

CANARY = "canary-notes-tapir-5521"


@pytest.fixture
def restricted_case(db):
    return make_case(access_level="restricted", restricted_notes=f"Notes {CANARY}.")


def made_token(app, role, *scopes, **kwargs):
    with app.test_request_context():
        secret = token_for(role, *scopes, **kwargs)
    return secret


def create_on_account_page(auth, client, **fields):
    page = client.get("/account/")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "My system",
            "expires_on": (date.today() + timedelta(days=30)).isoformat(), **fields}  # fmt: skip
    return client.post("/account/tokens", data=data)


def test_a_token_made_on_the_account_page_is_shown_once_and_stored_hashed(auth, client, db):
    auth.login("officer")
    response = create_on_account_page(auth, client, scopes=["read", "restricted"])
    assert response.status_code == 200
    secret = re.search(r"(cbk_[\w-]{20,})", response.get_data(as_text=True)).group(1)
    stored = db.session.scalar(select(ApiToken).filter_by(name="My system"))
    assert stored.token_hash != secret and secret not in stored.token_hash
    assert stored.scopes == ["read", "restricted"]
    assert secret not in client.get("/account/").get_data(as_text=True)  # shown once
    assert db.session.scalar(select(AuditEvent).filter_by(action="api_token.created"))
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200


def test_the_account_page_offers_only_the_scopes_the_roles_allow(auth, client):
    auth.login("partner")
    page = client.get("/account/").get_data(as_text=True)
    assert 'value="read"' in page and 'value="restricted"' not in page
    response = create_on_account_page(auth, client, scopes=["restricted"])
    assert response.status_code == 400
    assert "is not a valid choice" in response.get_data(as_text=True)


@pytest.mark.parametrize("days", [0, -3, 366, 4000])
def test_an_expiry_must_be_after_today_and_within_a_year(app, db, days):
    with app.test_request_context(), pytest.raises(tokens.TokenInvalid) as refused:
        tokens.create_token(role_user("officer"), "x", ["read"], date.today() + timedelta(days))
    assert "expires_on" in refused.value.errors


def test_a_scope_the_roles_do_not_allow_is_refused(app, db):
    with app.test_request_context(), pytest.raises(tokens.TokenInvalid) as refused:
        tokens.create_token(role_user("partner"), "x", ["review"], date.today() + timedelta(9))
    assert "scopes" in refused.value.errors


def test_an_expired_token_opens_nothing(app, client, db, restricted_case):
    secret = made_token(app, "officer", "read", "restricted")
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    token.expires_at = utc_now() - timedelta(seconds=1)
    db.session.commit()
    response = client.get(f"/api/v1/cases/{restricted_case.reference}", headers=bearer(secret))
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"
    assert "error=invalid_token" in response.headers["WWW-Authenticate"]


def test_a_revoked_token_opens_nothing_and_only_its_owner_revokes_it(
    app, auth, client, db, restricted_case
):
    secret = made_token(app, "officer", "read", "restricted")
    db.session.commit()
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    url = f"/api/v1/cases/{restricted_case.reference}"
    assert client.get(url, headers=bearer(secret)).status_code == 200
    auth.login("editor")  # another user
    page = client.get("/account/").get_data(as_text=True)
    other = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)})
    assert other.status_code == 404
    assert client.get(url, headers=bearer(secret)).status_code == 200
    auth.logout()
    auth.login("officer")
    page = client.get("/account/").get_data(as_text=True)
    assert (
        client.post(
            f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 302
    )
    assert client.get(url, headers=bearer(secret)).status_code == 401
    assert db.session.scalar(select(AuditEvent).filter_by(action="api_token.revoked"))


def test_the_audit_of_a_token_call_names_the_token(app, client, db, restricted_case):
    """A leaked token is traced through the audit log: each event its calls leave says which
    token made it, not only whose it is."""
    secret = made_token(app, "officer", "read", "restricted")
    db.session.commit()
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    url = f"/api/v1/cases/{restricted_case.reference}"
    assert client.get(url, headers=bearer(secret)).status_code == 200
    event = db.session.scalar(select(AuditEvent).filter_by(action="api.restricted.case.view"))
    assert event.details["via"] == f"api token {token.id}"


def test_a_lapsed_officers_token_loses_restricted_access_at_once(app, client, db, restricted_case):
    secret = made_token(app, "officer", "read", "restricted")
    public = make_case(restricted_notes=f"Public case, notes {CANARY}.")
    db.session.commit()
    url = f"/api/v1/cases/{restricted_case.reference}"
    assert client.get(url, headers=bearer(secret)).status_code == 200
    role_user("officer").restricted_access_until = date.today() - timedelta(days=1)
    db.session.commit()
    assert client.get(url, headers=bearer(secret)).status_code == 404
    answer = client.get(f"/api/v1/cases/{public.reference}", headers=bearer(secret))
    assert answer.status_code == 200 and CANARY not in answer.get_data(as_text=True)


def test_a_disabled_accounts_tokens_stop(app, client, db):
    secret = made_token(app, "officer", "read")
    db.session.commit()
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 200
    role_user("officer").active = False
    db.session.commit()
    assert client.get("/api/v1/cases", headers=bearer(secret)).status_code == 401


def test_without_the_restricted_scope_an_officer_reads_as_the_public(
    app, client, db, restricted_case
):
    secret = made_token(app, "officer", "read")
    db.session.commit()
    response = client.get(f"/api/v1/cases/{restricted_case.reference}", headers=bearer(secret))
    assert response.status_code == 404
    listing = client.get("/api/v1/cases?per_page=100", headers=bearer(secret))
    assert CANARY not in listing.get_data(as_text=True)


def test_a_read_only_partner_token_cannot_write(app, client, db):
    join_partner("TRAFFIC")
    secret = made_token(app, "partner", "read")
    db.session.commit()
    response = client.post("/api/v1/cases", json={"title": "A draft"}, headers=bearer(secret))
    assert response.status_code == 404


def test_an_unknown_or_malformed_token_opens_nothing(client):
    for header in ("Bearer cbk_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer x"):
        response = client.get("/api/v1/cases", headers={"Authorization": header})
        assert response.status_code == 401, header


def test_last_use_is_recorded(app, client, db):
    secret = made_token(app, "officer", "read")
    db.session.commit()
    client.get("/api/v1/conventions", headers=bearer(secret))
    token = db.session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_a_cookie_never_writes_through_the_api(auth, client, db):
    join_partner("TRAFFIC")
    auth.login("partner")
    response = client.post("/api/v1/cases", json={"title": "By cookie"})
    assert response.status_code == 401
    assert response.content_type == "application/problem+json"


def test_a_token_takes_the_place_of_a_session_sent_along(app, auth, client, db, restricted_case):
    """An officer's browser session does not lend its powers to a weaker token."""
    auth.login("officer")
    url = f"/api/v1/cases/{restricted_case.reference}"
    assert client.get(url).status_code == 200  # the session reads it
    secret = made_token(app, "officer", "read")
    db.session.commit()
    assert client.get(url, headers=bearer(secret)).status_code == 404


def test_calls_per_token_are_rate_limited(app, client, db, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_TOKEN", "3 per minute")
    secret = made_token(app, "officer", "read")
    db.session.commit()
    answers = [client.get("/api/v1/conventions", headers=bearer(secret)).status_code
               for _ in range(4)]  # fmt: skip
    assert answers == [200, 200, 200, 429]
    assert client.get("/api/v1/conventions").status_code == 200  # the address is not blocked


def test_calls_per_address_are_rate_limited(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_ADDRESS", "2 per minute")
    answers = [client.get("/api/v1/conventions").status_code for _ in range(3)]
    assert answers == [200, 200, 429]
    assert client.get("/api/v1/conventions").content_type == "application/problem+json"


def test_the_command_line_makes_a_token(app, runner, db):
    result = runner.invoke(
        args=["casebank", "token", "create", "officer@casebank.example.org", "--scope", "read"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith(tokens.TOKEN_PREFIX)
    refused = runner.invoke(
        args=["casebank", "token", "create", "partner@casebank.example.org", "--scope", "review"]
    )
    assert refused.exit_code != 0 and "scopes" in refused.output


def test_a_token_made_on_the_command_line_is_audited_as_the_systems(app, runner, db):
    """The owner did not make it: the log must not say they did (an operator can make an
    officer's token; the trail says it came from the command line)."""
    result = runner.invoke(
        args=["casebank", "token", "create", "officer@casebank.example.org", "--scope", "read"]
    )
    assert result.exit_code == 0, result.output
    event = db.session.scalar(
        select(AuditEvent).filter_by(action="api_token.created").order_by(AuditEvent.id.desc())
    )
    assert event.actor_label == "system" and event.actor_id is None
    assert event.target_type == "api_tokens"


@pytest.mark.parametrize("how", ["change", "reset"])
def test_a_new_password_revokes_every_token(app, auth, client, db, restricted_case, how):
    """Whoever knew the old password may have made a token: a new password ends them all."""
    secret = made_token(app, "officer", "read", "restricted")
    db.session.commit()
    url = f"/api/v1/cases/{restricted_case.reference}"
    assert client.get(url, headers=bearer(secret)).status_code == 200
    new = "Tortoise-Ferry-Mombasa-42"
    if how == "change":
        auth.login("officer")
        auth.post_form("/account/change", {"password": PASSWORD, "new_password": new,
                                           "new_password_confirm": new})  # fmt: skip
    else:
        auth.post_form("/account/reset", {"email": ROLE_USERS["officer"][0]})
        auth.post_form(link_in(last_mail()), {"password": new, "password_confirm": new})
    assert client.get(url, headers=bearer(secret)).status_code == 401
    event = db.session.scalar(select(AuditEvent).filter_by(action="api_token.revoked"))
    assert event.details["reason"] == "new password"
