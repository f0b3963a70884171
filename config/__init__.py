"""Settings for each environment, read from CASEBANK_* environment variables.

CASEBANK_ENV picks the class: development (what `make run` uses), testing, production (the
default, so a server started without thought fails closed rather than running with dev secrets).
"""

import os
from datetime import timedelta
from pathlib import Path

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production by check()


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message names what is missing."""


class BaseConfig:
    ENV_NAME = "base"
    TESTING = False
    DEBUG = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    WTF_CSRF_ENABLED = True
    # hide_parameters: an error's message (and so its log entry) shows the failed SQL without
    # its values, which hold what people typed (filters, addresses) and restricted text.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    # Seconds a statement waits for another writer's lock (SQLite busy_timeout, PostgreSQL
    # lock_timeout) before the request answers 503 "busy, try again in a moment".
    DATABASE_BUSY_TIMEOUT = 15
    CASES_PER_PAGE = 20
    HSTS = False
    SECRET_KEY_DEFAULT = None
    LOG_FORMAT_DEFAULT = "json"
    # Sessions: roles that see restricted material of every case (officers, editors, admins)
    # time out after 30 idle minutes, others (partners) after 2 hours; every session after 12 hours.
    IDLE_TIMEOUT_RESTRICTED = timedelta(minutes=30)
    IDLE_TIMEOUT = timedelta(hours=2)
    ABSOLUTE_TIMEOUT = timedelta(hours=12)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # Sessions live on the server (auth/session_store.py); the cookie holds a random id only.
    # __Host- makes browsers refuse it unless Secure, Path=/ and without Domain.
    SESSION_COOKIE_NAME = "__Host-casebank_session"
    SESSION_KEY_PREFIX = "casebank:session:"
    SESSION_ID_LENGTH = 32
    # A session without a login (a form's CSRF token, which is valid for an hour) is kept as
    # long; the database store purges expired rows every SESSION_PURGE_EVERY new ones.
    LOGINLESS_SESSION_LIFETIME = timedelta(hours=1)
    SESSION_PURGE_EVERY = 1000
    # Store a session only when it changes, not on every request.
    SESSION_REFRESH_EACH_REQUEST = False
    # A session's last_seen_at is written at most this often (idle timeouts are in minutes).
    SESSION_SEEN_INTERVAL = timedelta(minutes=1)
    RATELIMIT_HEADERS_ENABLED = True
    # A missing or unreadable search index rebuilds itself in the background (search/healing.py).
    SEARCH_SELF_HEAL = True
    # The change feed (search/feed.py): a search looks for other hosts' changes at most this
    # often; feed rows every host has applied are pruned at most this often; a host not seen
    # for FEED_HOST_TIMEOUT no longer holds rows back (it rebuilds its index when it returns).
    FEED_POLL_SECONDS = 1.0
    FEED_PRUNE_EVERY = 60.0
    FEED_HOST_TIMEOUT = timedelta(days=7)
    # A moving window: a fixed one lets an attacker spend two budgets across a minute boundary.
    RATELIMIT_STRATEGY = "moving-window"

    def __init__(self, environ=None):
        env = os.environ if environ is None else environ
        self.DATA_DIR = Path(env.get("CASEBANK_DATA_DIR", "instance")).resolve()
        self.SECRET_KEY = env.get("CASEBANK_SECRET_KEY") or self.SECRET_KEY_DEFAULT
        self.ENCRYPTION_KEY = env.get("CASEBANK_ENCRYPTION_KEY")
        self.SQLALCHEMY_DATABASE_URI = self.database_url(env)
        # Each host's own search index (on several hosts: a local disk, not the shared volume).
        self.INDEX_DIR = Path(env.get("CASEBANK_INDEX_DIR") or self.DATA_DIR / "index").resolve()
        self.FILE_STORE_DIR = self.DATA_DIR / "files"
        self.REDIS_URL = env.get("CASEBANK_REDIS_URL")
        # This host's name in the change feed (default: the machine's name and the index path).
        self.HOST_ID = env.get("CASEBANK_HOST_ID")
        self.LOG_LEVEL = env.get("CASEBANK_LOG_LEVEL", "INFO").upper()
        if self.LOG_LEVEL not in LOG_LEVELS:
            raise ConfigError(f"CASEBANK_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        # json: one JSON object per line with the request id (what a log system reads);
        # text: one plain line (a person at a terminal). Development defaults to text.
        self.LOG_FORMAT = env.get("CASEBANK_LOG_FORMAT", self.LOG_FORMAT_DEFAULT).lower()
        if self.LOG_FORMAT not in LOG_FORMATS:
            raise ConfigError(f"CASEBANK_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
        # Proxies in front that set X-Forwarded-For/-Proto; 0 trusts no such header. Login
        # throttling and rate limits count per client address, so set it behind a proxy.
        self.PROXY_COUNT = int(env.get("CASEBANK_PROXY_COUNT", "0"))
        # Rate limits are per process in memory unless Redis is configured (then shared).
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        # Redis down: each process counts alone in memory until Redis answers again (the
        # account-wide lockout lives in the database and still holds; README "Faults").
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
        self.MAIL_SENDER = env.get("CASEBANK_MAIL_SENDER", "casebank <no-reply@casebank.invalid>")
        self.SMTP_HOST = env.get("CASEBANK_SMTP_HOST")
        self.SMTP_PORT = int(env.get("CASEBANK_SMTP_PORT", "587"))
        self.SMTP_USER = env.get("CASEBANK_SMTP_USER")
        self.SMTP_PASSWORD = env.get("CASEBANK_SMTP_PASSWORD")
        # STARTTLS unless told otherwise (a relay on the same host may offer none).
        self.SMTP_STARTTLS = env.get("CASEBANK_SMTP_STARTTLS", "true").lower() != "false"
        self.SMTP_TIMEOUT = int(env.get("CASEBANK_SMTP_TIMEOUT", "10"))
        # Where the site is reached, for links in mails written outside a request (the alerts).
        self.SITE_URL = env.get("CASEBANK_SITE_URL", "http://localhost:5000").rstrip("/")
        self.RESTRICTED_ACCESS_DAYS = int(env.get("CASEBANK_RESTRICTED_ACCESS_DAYS", "365"))
        self.ACCESS_REMINDER_DAYS = int(env.get("CASEBANK_ACCESS_REMINDER_DAYS", "30"))
        # Uploads: the service refuses files over the cap with a message; Werkzeug refuses
        # request bodies a little over it (413) before reading them into memory.
        self.UPLOAD_MAX_BYTES = int(env.get("CASEBANK_UPLOAD_MAX_MB", "25")) * 2**20
        self.MAX_CONTENT_LENGTH = self.UPLOAD_MAX_BYTES + 2**20
        # Operations: /readyz answers 503 when the oldest change not yet in the search index
        # is older than this (seconds); /metrics answers a bearer token equal to this setting
        # (unset: loopback only).
        self.READY_MAX_LAG = float(env.get("CASEBANK_READY_MAX_LAG", "30"))
        self.METRICS_TOKEN = env.get("CASEBANK_METRICS_TOKEN") or None
        # Public pages kept rendered for anonymous visitors (page_cache.py), per process: on
        # unless CASEBANK_PAGE_CACHE_MB is 0.
        self.PAGE_CACHE_BYTES = int(env.get("CASEBANK_PAGE_CACHE_MB", "32")) * 2**20
        self.PAGE_CACHE = self.PAGE_CACHE_BYTES > 0
        # Decrypted blocks of the sealed (restricted) search index kept per process
        # (search/storage.py): the index itself stays sealed on disk and is read block by block.
        self.SEARCH_SEALED_CACHE_BYTES = (
            int(env.get("CASEBANK_SEARCH_SEALED_CACHE_MB", "64")) * 2**20
        )
        # The JSON API's rate limits (Flask-Limiter notation), per address and per token.
        self.API_RATE_LIMIT_PER_ADDRESS = env.get(
            "CASEBANK_API_RATE_LIMIT_PER_ADDRESS", "300 per minute;6000 per hour"
        )
        self.API_RATE_LIMIT_PER_TOKEN = env.get(
            "CASEBANK_API_RATE_LIMIT_PER_TOKEN", "120 per minute;3000 per hour"
        )

    def database_url(self, env):
        url = env.get("CASEBANK_DATABASE_URL") or f"sqlite:///{self.DATA_DIR / 'casebank.db'}"
        return normalise_database_url(url)

    def check(self):
        """Raise ConfigError when this configuration must not start."""


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    DEBUG = False  # the Werkzeug debugger must never be reachable, even on a laptop
    SESSION_COOKIE_SECURE = False  # served over plain http://127.0.0.1 by `make run`
    SESSION_COOKIE_NAME = "casebank_session"  # __Host- needs Secure, so https
    SECRET_KEY_DEFAULT = DEV_SECRET_KEY
    LOG_FORMAT_DEFAULT = "text"

    def __init__(self, environ=None):
        super().__init__(environ)
        self.ENCRYPTION_KEY = self.ENCRYPTION_KEY or local_encryption_key(self.DATA_DIR)


class TestingConfig(DevelopmentConfig):
    ENV_NAME = "testing"
    TESTING = True
    # Cheap argon2 parameters: the suite logs in hundreds of times. Production keeps the
    # library's defaults (64 MiB, 3 passes).
    SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS = {
        "argon2__memory_cost": 1024,
        "argon2__rounds": 1,
        "argon2__parallelism": 1,
    }

    # The suite's index is built and broken by its fixtures; a background rebuild would race
    # them (tests/test_fault_index.py turns healing on for an app of its own).
    SEARCH_SELF_HEAL = False
    # The suite's tests share one connection, where a search would see (and apply) rows that
    # are flushed but not committed; in production another connection never sees them. The
    # tests of several hosts turn polling on for apps of their own.
    FEED_POLL_SECONDS = None

    def __init__(self, environ=None):
        super().__init__(environ)
        # Tests change data and settings between requests in ways production never does (a
        # rolled-back transaction, a patched setting); tests/test_page_cache.py turns it on.
        self.PAGE_CACHE = False

    def database_url(self, env):
        url = env.get("CASEBANK_TEST_DATABASE_URL") or f"sqlite:///{self.DATA_DIR / 'test.db'}"
        return normalise_database_url(url)


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    HSTS = True

    def check(self):
        missing = []
        if not self.SECRET_KEY or self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
            missing.append("CASEBANK_SECRET_KEY (a random value of at least 32 characters)")
        if not self.ENCRYPTION_KEY:
            missing.append("CASEBANK_ENCRYPTION_KEY")
        elif not valid_keyring(self.ENCRYPTION_KEY):
            missing.append("CASEBANK_ENCRYPTION_KEY (comma-separated base64 32-byte keys)")
        if missing:
            raise ConfigError(
                "production configuration refuses to start; set " + " and ".join(missing)
            )


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}


def valid_keyring(text):
    from casebank.crypto import Keyring  # late: the casebank package imports this module

    try:
        Keyring.from_text(text)
    except ValueError:
        return False
    return True


def local_encryption_key(data_dir):
    """Development and tests only: a key kept beside the data it protects, made on first use."""
    from casebank.crypto import new_master_key

    path = Path(data_dir) / "dev-encryption.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(new_master_key())
    return path.read_text().strip()


def normalise_database_url(url):
    """Let people write postgresql:// and still get the psycopg 3 driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(name=None, environ=None):
    env = os.environ if environ is None else environ
    name = name or env.get("CASEBANK_ENV", "production")
    if name not in CONFIGS:
        raise ConfigError(f"CASEBANK_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}")
    config = CONFIGS[name](env)
    config.check()
    return config
