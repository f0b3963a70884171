"""No Docker engine runs here, so the deployment files are checked by reading them."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_app_with_postgres_and_redis(compose):
    assert set(compose["services"]) == {"migrate", "app", "proxy", "db", "redis"}
    assert compose["services"]["db"]["image"].startswith("postgres:")
    assert compose["services"]["redis"]["image"].startswith("redis:")


def test_several_app_hosts_run_behind_the_proxy_after_one_migration_step(compose):
    services = compose["services"]
    assert services["migrate"]["build"] == "." and "db upgrade" in " ".join(
        services["migrate"]["command"]
    )
    app = services["app"]
    assert "ports" not in app  # reached through the proxy only
    assert app["deploy"]["replicas"] == "${CASEBANK_REPLICAS:-2}"
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "db upgrade" not in " ".join(app["command"])  # replicas never migrate at once
    assert "reindex --if-missing" in " ".join(app["command"])
    assert "8000:80" in services["proxy"]["ports"]
    nginx = (ROOT / "config" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr" in nginx  # not the client's own


def test_each_host_keeps_its_own_index_and_shares_the_file_store(compose):
    env = compose["services"]["app"]["environment"]
    assert env["CASEBANK_DATA_DIR"] == "/data"
    assert not env["CASEBANK_INDEX_DIR"].startswith("/data")
    assert env["CASEBANK_PROXY_COUNT"] == "1"


def test_app_environment_points_at_the_compose_services(compose):
    env = compose["services"]["app"]["environment"]
    assert env["CASEBANK_ENV"] == "production"
    assert "@db:5432/" in env["CASEBANK_DATABASE_URL"]
    assert env["CASEBANK_REDIS_URL"].startswith("redis://redis:6379")


def test_secrets_are_required_from_the_environment_not_written_here(compose):
    env = compose["services"]["app"]["environment"]
    for name in ("CASEBANK_SECRET_KEY", "CASEBANK_ENCRYPTION_KEY"):
        assert env[name].startswith("${") and ":?" in env[name]


def test_data_lives_in_named_volumes(compose):
    assert set(compose["volumes"]) == {"casebank-data", "postgres-data", "redis-data"}
    assert "casebank-data:/data" in compose["services"]["app"]["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]


def test_dockerfile_runs_gunicorn_after_migrations():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "db upgrade" in dockerfile and "gunicorn" in dockerfile
    assert dockerfile.index("db upgrade") < dockerfile.index("exec gunicorn")
    assert "USER casebank" in dockerfile
