"""GET /healthz: up or not for anyone; the database and search index details for requests
from the machine itself (loopback, not proxied) and for admins."""

import pytest
from sqlalchemy.exc import OperationalError

from casebank import health


def test_healthz_reports_database_and_index(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"status": "ok"}
    assert body["index"]["status"] in {"ok", "missing"}


def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(health.db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == {"status": "error", "error": "OperationalError"}


STRANGER = {"REMOTE_ADDR": "203.0.113.9"}


def test_a_stranger_learns_only_whether_the_service_is_up(client):
    response = client.get("/healthz", environ_overrides=STRANGER)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert b"restricted" not in response.data and b"index" not in response.data


def test_a_stranger_sees_a_failure_without_its_details(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("down"))

    monkeypatch.setattr(health.db.session, "execute", broken)
    response = client.get("/healthz", environ_overrides=STRANGER)
    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9"},
        # What proxies set when told to pass only some of it (nginx's X-Real-IP, Via, ...).
        {"X-Real-IP": "203.0.113.9"},
        {"Via": "1.1 proxy"},
        {"X-Forwarded-Proto": "https"},
        {"X-Forwarded-Host": "casebank.example.org"},
    ],
)
def test_a_proxied_request_from_loopback_is_a_stranger(client, headers):
    response = client.get("/healthz", headers=headers)  # the test client is 127.0.0.1
    assert response.get_json() == {"status": "ok"}


def test_an_admin_anywhere_sees_the_details(client, auth):
    client.environ_base["REMOTE_ADDR"] = STRANGER["REMOTE_ADDR"]
    auth.login("admin")
    body = client.get("/healthz").get_json()
    assert body["database"] == {"status": "ok"}
    assert "index" in body


def test_an_officer_elsewhere_does_not(client, auth):
    client.environ_base["REMOTE_ADDR"] = STRANGER["REMOTE_ADDR"]
    auth.login("officer")
    assert client.get("/healthz").get_json() == {"status": "ok"}
