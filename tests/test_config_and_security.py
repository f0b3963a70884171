"""Configuration refuses unsafe production settings; every answer carries security headers."""

import pytest

from casebank import create_app
from casebank.crypto import new_master_key
from config import DEV_SECRET_KEY, ConfigError, load_config

GOOD_SECRET = "x" * 40
GOOD_KEY = new_master_key()


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, ["CASEBANK_SECRET_KEY", "CASEBANK_ENCRYPTION_KEY"]),
        ({"CASEBANK_SECRET_KEY": GOOD_SECRET}, ["CASEBANK_ENCRYPTION_KEY"]),
        (
            {"CASEBANK_SECRET_KEY": DEV_SECRET_KEY, "CASEBANK_ENCRYPTION_KEY": GOOD_KEY},
            ["CASEBANK_SECRET_KEY"],
        ),
        (
            {"CASEBANK_SECRET_KEY": "short", "CASEBANK_ENCRYPTION_KEY": GOOD_KEY},
            ["CASEBANK_SECRET_KEY"],
        ),
        (
            {"CASEBANK_SECRET_KEY": GOOD_SECRET, "CASEBANK_ENCRYPTION_KEY": "k"},
            ["CASEBANK_ENCRYPTION_KEY"],
        ),
    ],
)
def test_production_refuses_to_start_and_names_what_is_missing(environ, missing):
    with pytest.raises(ConfigError) as refused:
        load_config("production", environ)
    for name in missing:
        assert name in str(refused.value)


def test_production_is_the_default_environment():
    with pytest.raises(ConfigError):
        load_config(environ={})


def test_production_starts_with_a_secret_and_a_key(tmp_path):
    config = load_config(
        "production",
        {
            "CASEBANK_SECRET_KEY": GOOD_SECRET,
            "CASEBANK_ENCRYPTION_KEY": GOOD_KEY,
            "CASEBANK_DATA_DIR": str(tmp_path),
        },
    )
    assert config.SESSION_COOKIE_SECURE and config.SESSION_COOKIE_HTTPONLY
    assert config.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path}/casebank.db"


def test_development_makes_and_keeps_a_local_key(tmp_path):
    first = load_config("development", {"CASEBANK_DATA_DIR": str(tmp_path)}).ENCRYPTION_KEY
    again = load_config("development", {"CASEBANK_DATA_DIR": str(tmp_path)}).ENCRYPTION_KEY
    assert first == again
    assert (tmp_path / "dev-encryption.key").stat().st_mode & 0o077 == 0


def test_unknown_environment_is_refused():
    with pytest.raises(ConfigError, match="CASEBANK_ENV='staging'"):
        load_config(environ={"CASEBANK_ENV": "staging"})


def test_postgres_urls_use_the_shipped_driver():
    config = load_config("development", {"CASEBANK_DATABASE_URL": "postgresql://u@h/db"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"


def test_create_app_refuses_an_unsafe_production(monkeypatch):
    monkeypatch.delenv("CASEBANK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app("production")


@pytest.mark.parametrize("path", ["/", "/cases", "/no-such-page", "/healthz"])
def test_security_headers_on_every_answer(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client):
    for path in ["/", "/cases", "/conventions", "/hs-codes", "/about", "/nope"]:
        html = client.get(path).get_data(as_text=True)
        assert "<script" not in html
        assert "style=" not in html and "<style" not in html


def test_error_page_is_friendly_html(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_unexpected_error_shows_nothing_of_the_exception(app, client, monkeypatch):
    from casebank.services import catalogue

    def explode(*args, **kwargs):
        raise RuntimeError("secret-canary-in-exception")

    monkeypatch.setattr(catalogue, "latest_public_cases", explode)
    response = client.get("/")
    assert response.status_code == 500
    assert "secret-canary" not in response.get_data(as_text=True)


def test_cheap_password_hashing_is_for_tests_only():
    from config import DevelopmentConfig, ProductionConfig, TestingConfig

    assert TestingConfig.SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS
    for config in (DevelopmentConfig, ProductionConfig):
        assert not hasattr(config, "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS")


def test_the_index_can_live_apart_from_the_shared_data_directory(tmp_path):
    shared = {"CASEBANK_DATA_DIR": str(tmp_path / "shared")}
    assert load_config("development", shared).INDEX_DIR == (tmp_path / "shared" / "index")
    own = {**shared, "CASEBANK_INDEX_DIR": str(tmp_path / "local")}
    assert load_config("development", own).INDEX_DIR == tmp_path / "local"
