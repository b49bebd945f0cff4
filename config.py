"""Configuration classes, read from environment variables.

``PORTAL_ENV`` picks one: ``development`` (the laptop default: SQLite, local files, emails to the
console), ``testing`` (used by the test suite) or ``production``.
"""

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

#: Secret keys that must never reach production.
DEMO_SECRET_KEYS = frozenset({"dev-not-secret", "test-not-secret"})
#: The key that seals TOTP secrets on a laptop and in tests (refused in production): fixed, so a
#: development database keeps working from one run to the next. It is base64 of SHA-256 of
#: "Socitm Insight portal: demo TOTP encryption key".
DEMO_TOTP_ENCRYPTION_KEY = "gyummC7J6MAABwcd7IjrtuSGytCMczMtogTiTn9A_-c="


#: What every VAT invoice, receipt and credit note prints about the seller and how to pay it.
#: Production refuses to start without each one: an issued document never changes, so one
#: printed without the company number or the bank details would stay that way.
DOCUMENT_SETTINGS = (
    "SUPPLIER_NAME",
    "SUPPLIER_ADDRESS",
    "SUPPLIER_VAT_NUMBER",
    "SUPPLIER_COMPANY_NUMBER",
    "SUPPLIER_REGISTERED_OFFICE",
    "BANK_ACCOUNT_NAME",
    "BANK_SORT_CODE",
    "BANK_ACCOUNT_NUMBER",
    "BANK_IBAN",
    "BANK_BIC",
    "REMITTANCE_EMAIL",
)
#: Illustrative values for the laptop and the tests: plainly not real (zeros, a DEMO bank), so a
#: document printed with them cannot be taken for one of Socitm's.
DEMO_DOCUMENT_SETTINGS = {
    "SUPPLIER_NAME": "Socitm Limited",
    "SUPPLIER_ADDRESS": "Socitm Limited\nBriefing House, 1 Example Street\nNorthampton\nNN1 1AA",
    "SUPPLIER_VAT_NUMBER": "GB 000 0000 00",
    "SUPPLIER_COMPANY_NUMBER": "00000000",
    "SUPPLIER_REGISTERED_OFFICE": "Briefing House, 1 Example Street, Northampton NN1 1AA",
    "BANK_ACCOUNT_NAME": "Socitm Limited",
    "BANK_SORT_CODE": "00-00-00",
    "BANK_ACCOUNT_NUMBER": "00000000",
    "BANK_IBAN": "GB46 DEMO 0000 0000 0000 00",
    "BANK_BIC": "DEMOGB2L",
    "REMITTANCE_EMAIL": "finance@socitm.example",
}

#: Settings given in the environment that could not be read, name -> what was wrong. They take
#: their default meanwhile; ``settings_problems`` reports them (production then refuses to start).
UNREADABLE_SETTINGS: dict[str, str] = {}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value not in _TRUE | _FALSE:
        UNREADABLE_SETTINGS[name] = f"{name} must be 1 or 0 (true or false), not {value!r}."
        return default
    return value in _TRUE


def _database_url(default: str) -> str:
    """DATABASE_URL, with the usual ``postgres://`` and ``postgresql://`` spellings pointed at the
    psycopg 3 driver the portal installs (SQLAlchemy would otherwise look for psycopg2)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return default
    for spelling in ("postgres://", "postgresql://"):
        if url.startswith(spelling):
            return "postgresql+psycopg://" + url.removeprefix(spelling)
    return url


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        UNREADABLE_SETTINGS[name] = f"{name} must be a whole number, not {value!r}."
        return default


#: Threads each gunicorn worker serves requests with, unless GUNICORN_THREADS says otherwise
#: (gunicorn.conf.py): a request waiting on Stripe holds its thread, not the whole worker.
DEFAULT_THREADS = 32


def _pool_options(url: str) -> dict[str, int | bool]:
    """The database pool of one process: a connection for each of its request threads (one
    waiting on Stripe holds its connection, with the order's row lock), and a few more for the
    background work a request starts. Each connection is checked as it is taken from the pool
    (``pool_pre_ping``, one round trip): after PostgreSQL restarts, every process has a pool of
    dead connections, and without the check each would fail one visitor's request before the
    process noticed. SQLite keeps SQLAlchemy's own pool."""
    if not url.startswith("postgresql"):
        return {}
    return {
        "pool_size": max(5, _int("GUNICORN_THREADS", DEFAULT_THREADS)),
        "max_overflow": 5,
        "pool_pre_ping": True,
    }


class Config:
    """Settings shared by every environment."""

    ENVIRONMENT = "development"

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{INSTANCE_DIR / 'portal.db'}")

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30  # 30 days, in seconds
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12  # 12 hours

    WTF_CSRF_TIME_LIMIT = 60 * 60 * 4  # a long form on a slow afternoon still submits

    # PostgreSQL: seconds to open a connection, and the longest one statement may run (in
    # milliseconds), both well inside the app server's limit so a stopped or stuck database
    # answers a request with the "try again" page rather than a killed worker.
    DATABASE_CONNECT_TIMEOUT = _int("DATABASE_CONNECT_TIMEOUT", 5)
    DATABASE_STATEMENT_TIMEOUT_MS = _int("DATABASE_STATEMENT_TIMEOUT_MS", 20000)
    # Seconds to connect to Redis and to wait for its answer when a request queues a job; when
    # it does not answer, the job runs in the request instead.
    REDIS_TIMEOUT = _int("REDIS_TIMEOUT", 1)

    # Redis: shared rate-limit counts and the background job queue (sending the email outbox,
    # stamping downloads). Empty (the laptop default): counts in memory, jobs run in-process.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # The queue's name in Redis; tests use their own.
    JOB_QUEUE_NAME = os.environ.get("JOB_QUEUE_NAME", "portal")

    # The public catalogue, cached in each process (portal/catalogue/cache.py): how long a copy is
    # kept at most (0: no cache), and how often a process asks whether another changed it (0: on
    # every page; an edit always shows at once in the process that saved it).
    CATALOGUE_CACHE_SECONDS = _int("CATALOGUE_CACHE_SECONDS", 60)
    CATALOGUE_CHECK_SECONDS = _int("CATALOGUE_CHECK_SECONDS", 1)
    # The organisations an address belongs to, as the report page shows prices for them, kept the
    # same way (portal/organisations/membership_cache.py; 0: read on every view). Checked as often.
    MEMBERSHIP_CACHE_SECONDS = _int("MEMBERSHIP_CACHE_SECONDS", 60)
    # Printed stock, as the report page shows it, kept the same way (portal/catalogue/kept_stock.py;
    # 0: read on every view): any order or edit that moves stock replaces it; checked as often.
    STOCK_CACHE_SECONDS = _int("STOCK_CACHE_SECONDS", 60)

    # Rate limits (Flask-Limiter; the limits themselves are in portal/operations/limits.py). One
    # process counts in memory; several app servers share a count in Redis (REDIS_URL, unless this
    # names another store).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # A sliding window: a burst cannot double its allowance across the edge of a fixed window.
    RATELIMIT_STRATEGY = "moving-window"
    # When the shared store cannot be reached, count in memory rather than answer with an error.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis that stops answering (frozen, not refused) fails within REDIS_TIMEOUT, so the
    # in-memory fallback takes over instead of every request waiting for it.
    RATELIMIT_STORAGE_OPTIONS: ClassVar[dict[str, int]] = {
        "socket_timeout": REDIS_TIMEOUT,
        "socket_connect_timeout": REDIS_TIMEOUT,
    }
    # False exempts every request but keeps the limiter wired in, so a test can switch it on.
    RATELIMIT_APPLY = True
    # Production refuses limits counted in memory with more than one gunicorn worker, where each
    # worker keeps its own count (multiplying every limit); 1 accepts that anyway.
    RATELIMIT_ALLOW_MEMORY = _bool("RATELIMIT_ALLOW_MEMORY", False)

    # Sign-in lockout: this many wrong passwords in a row lock the account for this long.
    SIGN_IN_LOCKOUT_FAILURES = 5
    SIGN_IN_LOCKOUT_MINUTES = 15

    # Uploads by administrators: a report's PDF and its cover image.
    MAX_REPORT_PDF_BYTES = _int("MAX_REPORT_PDF_BYTES", 100 * 1024 * 1024)
    MAX_COVER_IMAGE_BYTES = _int("MAX_COVER_IMAGE_BYTES", 5 * 1024 * 1024)
    # The largest request body: a maximum PDF plus room for the form around it.
    MAX_CONTENT_LENGTH = MAX_REPORT_PDF_BYTES + 1024 * 1024

    # Accounts
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 (a method name, not a password)
    EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3  # 3 days
    PASSWORD_RESET_MAX_AGE = 60 * 60  # 1 hour
    # Two-factor sign-in: the Fernet key(s), comma-separated, that seal TOTP secrets at rest
    # (the first seals, all open: put a new key first to rotate); wrong codes in a row that lock
    # an account's code step, and for how long; how long an administrator's confirmation link
    # works.
    TOTP_ENCRYPTION_KEY = os.environ.get("TOTP_ENCRYPTION_KEY", DEMO_TOTP_ENCRYPTION_KEY)
    SECOND_FACTOR_LOCKOUT_FAILURES = 5
    SECOND_FACTOR_LOCKOUT_MINUTES = 15
    ADMIN_CONFIRMATION_MAX_AGE = 60 * 60 * 24  # 1 day

    # Email (Flask-Mailman). Development prints to the console.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    # Seconds the mail server has to accept a connection and answer each command.
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Socitm Insight <insight@socitm.example>"
    )
    # Seconds after which an email claimed by a sender that never said how it went (it died) may
    # be sent again, with the same Message-ID: longer than one send can take.
    OUTBOX_CLAIM_SECONDS = _int("OUTBOX_CLAIM_SECONDS", 60)

    # Files (report PDFs, stamped copies) live outside any public folder: "local" (a folder,
    # STORAGE_ROOT) or "s3" (a private bucket on any S3-compatible object store).
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local").strip().lower()
    STORAGE_ROOT = os.environ.get("STORAGE_ROOT", str(INSTANCE_DIR / "storage"))
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    # Empty for AWS itself; the address of any other S3-compatible store (MinIO, Ceph, moto…).
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")
    S3_REGION = os.environ.get("S3_REGION", "eu-west-2")
    # Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, an
    # instance role…). Keys are stored under this prefix inside the bucket.
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    # How an S3 download reaches the browser: "presigned" (a redirect to a short-lived signed URL
    # on the object store) or "stream" (through the app server).
    S3_DOWNLOADS = os.environ.get("S3_DOWNLOADS", "presigned").strip().lower()
    S3_PRESIGNED_SECONDS = _int("S3_PRESIGNED_SECONDS", 60)
    # How long the link in an order email opens the order and its downloads.
    DOWNLOAD_LINK_MAX_AGE = _int("DOWNLOAD_LINK_MAX_AGE", 60 * 60 * 24 * 30)

    # Retention (portal/data_rights/retention.py): personal data that is not a financial record
    # is erased by the daily job this long after it was recorded.
    RETENTION_DOWNLOAD_LOG_MONTHS = _int("RETENTION_DOWNLOAD_LOG_MONTHS", 12)
    RETENTION_SIGN_IN_MONTHS = _int("RETENTION_SIGN_IN_MONTHS", 12)
    RETENTION_GUEST_ORDER_YEARS = _int("RETENTION_GUEST_ORDER_YEARS", 6)
    # Seconds the emailed link to a guest's copy of their data works.
    GUEST_DATA_LINK_MAX_AGE = _int("GUEST_DATA_LINK_MAX_AGE", 60 * 60 * 24)
    # "" streams downloads from the app; "x-accel-redirect" (nginx) or "x-sendfile" hands the
    # file to the front web server instead.
    DOWNLOAD_OFFLOAD = os.environ.get("DOWNLOAD_OFFLOAD", "")

    # Stripe (used from the checkout issue on)
    # Every call to Stripe, its retries included, ends well inside the app server's own limit
    # (GUNICORN_TIMEOUT, 60 seconds): seconds to connect, seconds to wait for an answer, and
    # how many times a call that timed out or failed on the network is tried again. At most
    # (1 + retries) x (connect + read) seconds plus a second of back-off: 27 by default.
    STRIPE_CONNECT_TIMEOUT = _int("STRIPE_CONNECT_TIMEOUT", 3)
    STRIPE_READ_TIMEOUT = _int("STRIPE_READ_TIMEOUT", 10)
    STRIPE_NETWORK_RETRIES = _int("STRIPE_NETWORK_RETRIES", 1)
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # 1 when taking real money: test keys are then refused at start-up.
    STRIPE_LIVE = _bool("STRIPE_LIVE", False)
    # Where "Place order and pay" sends the browser: forms may lead there (CSP form-action).
    PAYMENT_PAGE_ORIGIN = os.environ.get("PAYMENT_PAGE_ORIGIN", "https://checkout.stripe.com")

    # The address people reach the portal at, e.g. https://reports.socitm.example (a path if it
    # is served under one). Every absolute link in emails and the pages Stripe returns people to
    # are built from it, never from a request's Host; requests naming another host are refused.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "").strip()

    # Operations. Behind a reverse proxy, how many proxies set X-Forwarded-For/-Proto/-Host (0:
    # the app is reached directly and those headers are ignored).
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    # 1 only where the proxy serves the portal under a path and sets X-Forwarded-Prefix itself:
    # otherwise a client could send one and have the portal's redirects lead elsewhere.
    PROXY_TRUST_PREFIX = _bool("PROXY_TRUST_PREFIX", False)
    # "json" (one object per line, for a log collector) or "text" (for a person at a terminal).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    # Error reporting through Sentry (or a compatible service) when set.
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")

    SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "insight@socitm.example")
    # Where requests to join, renew or ask about Insight are emailed (Socitm's subscriptions team).
    INSIGHT_SUBSCRIPTIONS_EMAIL = os.environ.get(
        "INSIGHT_SUBSCRIPTIONS_EMAIL", "subscriptions@socitm.example"
    )

    # Environment values that could not be read (see ``settings_problems``).
    UNREADABLE_SETTINGS = UNREADABLE_SETTINGS

    @staticmethod
    def problems(settings: Mapping) -> list[str]:
        """What in ``settings`` (``app.config``) the portal cannot work with; empty when fine."""
        return settings_problems(settings)

    # The seller named on VAT invoices, receipts and credit notes, and where invoices are paid
    # (DOCUMENT_SETTINGS). No defaults: production refuses to start without them (a document is
    # never changed once issued); the laptop and the tests use DEMO_DOCUMENT_SETTINGS.
    SUPPLIER_NAME = os.environ.get("SUPPLIER_NAME", "")
    SUPPLIER_ADDRESS = os.environ.get("SUPPLIER_ADDRESS", "")
    SUPPLIER_VAT_NUMBER = os.environ.get("SUPPLIER_VAT_NUMBER", "")
    SUPPLIER_COMPANY_NUMBER = os.environ.get("SUPPLIER_COMPANY_NUMBER", "")
    SUPPLIER_REGISTERED_OFFICE = os.environ.get("SUPPLIER_REGISTERED_OFFICE", "")
    BANK_ACCOUNT_NAME = os.environ.get("BANK_ACCOUNT_NAME", "")
    BANK_SORT_CODE = os.environ.get("BANK_SORT_CODE", "")
    BANK_ACCOUNT_NUMBER = os.environ.get("BANK_ACCOUNT_NUMBER", "")
    BANK_IBAN = os.environ.get("BANK_IBAN", "")
    BANK_BIC = os.environ.get("BANK_BIC", "")
    REMITTANCE_EMAIL = os.environ.get("REMITTANCE_EMAIL", "")
    INVOICE_PAYMENT_DAYS = _int("INVOICE_PAYMENT_DAYS", 30)


class DemoDocumentSettings:
    """Illustrative seller and bank details for the laptop and the tests (each may still be set
    in the environment); production has none of these and must be given its own."""

    SUPPLIER_NAME = os.environ.get("SUPPLIER_NAME", DEMO_DOCUMENT_SETTINGS["SUPPLIER_NAME"])
    SUPPLIER_ADDRESS = os.environ.get(
        "SUPPLIER_ADDRESS", DEMO_DOCUMENT_SETTINGS["SUPPLIER_ADDRESS"]
    )
    SUPPLIER_VAT_NUMBER = os.environ.get(
        "SUPPLIER_VAT_NUMBER", DEMO_DOCUMENT_SETTINGS["SUPPLIER_VAT_NUMBER"]
    )
    SUPPLIER_COMPANY_NUMBER = os.environ.get(
        "SUPPLIER_COMPANY_NUMBER", DEMO_DOCUMENT_SETTINGS["SUPPLIER_COMPANY_NUMBER"]
    )
    SUPPLIER_REGISTERED_OFFICE = os.environ.get(
        "SUPPLIER_REGISTERED_OFFICE", DEMO_DOCUMENT_SETTINGS["SUPPLIER_REGISTERED_OFFICE"]
    )
    BANK_ACCOUNT_NAME = os.environ.get(
        "BANK_ACCOUNT_NAME", DEMO_DOCUMENT_SETTINGS["BANK_ACCOUNT_NAME"]
    )
    BANK_SORT_CODE = os.environ.get("BANK_SORT_CODE", DEMO_DOCUMENT_SETTINGS["BANK_SORT_CODE"])
    BANK_ACCOUNT_NUMBER = os.environ.get(
        "BANK_ACCOUNT_NUMBER", DEMO_DOCUMENT_SETTINGS["BANK_ACCOUNT_NUMBER"]
    )
    BANK_IBAN = os.environ.get("BANK_IBAN", DEMO_DOCUMENT_SETTINGS["BANK_IBAN"])
    BANK_BIC = os.environ.get("BANK_BIC", DEMO_DOCUMENT_SETTINGS["BANK_BIC"])
    REMITTANCE_EMAIL = os.environ.get(
        "REMITTANCE_EMAIL", DEMO_DOCUMENT_SETTINGS["REMITTANCE_EMAIL"]
    )


class DevelopmentConfig(DemoDocumentSettings, Config):
    """The laptop: SQLite in ``instance/``, emails to the console, a demo secret key, and the
    offline Stripe stand-in (``python -m stripe_standin``, started by ``make run``)."""

    DEBUG = False  # the interactive debugger stays off even on a laptop; errors show our pages
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:12111")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_standin")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_standin")
    PAYMENT_PAGE_ORIGIN = os.environ.get("PAYMENT_PAGE_ORIGIN", STRIPE_API_BASE)
    # `make run` passes the address it serves on (PORT); `flask run` on its own uses 5000.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "").strip() or "http://127.0.0.1:5000"


class TestingConfig(DemoDocumentSettings, Config):
    """The test suite: an in-memory SQLite database unless TEST_DATABASE_URL says otherwise."""

    ENVIRONMENT = "testing"
    TESTING = True
    SECRET_KEY = "test-not-secret"  # noqa: S105 (refused in production)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = "locmem"
    SERVER_NAME = "localhost"
    PUBLIC_URL = "http://localhost"  # the test client's host
    # Hashing is deliberately slow; the tests exercise the same code with a cheaper cost.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105
    # Limits off, except in the tests that are about them (tests/security/test_limits.py).
    RATELIMIT_APPLY = False
    # No test reaches the network, even where the environment names an error-reporting service.
    SENTRY_DSN = ""
    # No Redis whatever the environment says: jobs run in-process, limits count in memory. The
    # tests about Redis turn it on for themselves (TEST_REDIS_URL).
    REDIS_URL = ""
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    """Production: every secret and address from the environment; cookies only over HTTPS."""

    ENVIRONMENT = "production"

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    SQLALCHEMY_DATABASE_URI = _database_url("")  # no default: production names its database
    SQLALCHEMY_ENGINE_OPTIONS = _pool_options(SQLALCHEMY_DATABASE_URI)
    TOTP_ENCRYPTION_KEY = os.environ.get("TOTP_ENCRYPTION_KEY", "")
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("REMEMBER_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "")
    PROXY_COUNT = _int("PROXY_COUNT", 1)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()

    @staticmethod
    def problems(settings: Mapping) -> list[str]:
        """Reasons these settings must not serve real people; empty when the portal may start."""
        return settings_problems(settings) + production_problems(settings)


def settings_problems(settings: Mapping) -> list[str]:
    """Values no environment can work with (a word the portal does not know, a number that is
    not one), one sentence each, naming the environment variable to change."""
    found = list(settings.get("UNREADABLE_SETTINGS", {}).values())

    def one_of(name: str, allowed: tuple[str, ...]) -> None:
        if settings.get(name) not in allowed:
            choices = " or ".join(repr(a) for a in allowed if a)
            found.append(f"{name} must be {choices}, not {settings.get(name)!r}.")

    # The storage feature knows its own settings (a backend, a bucket, a download mode).
    from portal.storage.settings import problems as storage_problems

    found.extend(storage_problems(settings))
    if settings.get("TOTP_ENCRYPTION_KEY"):
        from portal.secret_box import key_problems

        found.extend(key_problems(settings))
    one_of("DOWNLOAD_OFFLOAD", ("", "x-accel-redirect", "x-sendfile"))
    redis_url = settings.get("REDIS_URL", "")
    if redis_url and not redis_url.startswith(("redis://", "rediss://")):
        found.append("REDIS_URL must be a redis:// or rediss:// URL (or empty for no Redis).")
    one_of("LOG_FORMAT", ("json", "text"))
    one_of("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
    if settings.get("PROXY_COUNT", 0) < 0:
        found.append("PROXY_COUNT must be 0 (no proxy in front) or more.")
    from portal.public_url import public_url_problem

    if settings.get("PUBLIC_URL") and (problem := public_url_problem(settings["PUBLIC_URL"])):
        found.append(problem)
    dsn = urlsplit(settings.get("SENTRY_DSN", ""))
    if settings.get("SENTRY_DSN") and (dsn.scheme not in ("http", "https") or not dsn.hostname):
        found.append("SENTRY_DSN must be the https:// address your error reporting service gave.")
    found.extend(bank_problems(settings))
    return found


def _iban_is_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, then the account; moved to the end and read as
    a number (letters as 10 to 35), it leaves 1 when divided by 97."""
    compact = iban.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", compact):
        return False
    digits = "".join(str(int(char, 36)) for char in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def bank_problems(settings: Mapping) -> list[str]:
    """Payment details printed on invoices that nobody could pay to, when they are set."""
    found = []
    iban = (settings.get("BANK_IBAN") or "").strip()
    if iban and not _iban_is_valid(iban):
        found.append(f"BANK_IBAN is not a valid IBAN (its check digits do not match): {iban!r}.")
    bic = (settings.get("BANK_BIC") or "").strip()
    if bic and not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
        found.append(f"BANK_BIC must be a BIC of 8 or 11 letters and digits, not {bic!r}.")
    remittance = (settings.get("REMITTANCE_EMAIL") or "").strip()
    if remittance and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", remittance):
        found.append(f"REMITTANCE_EMAIL must be an email address, not {remittance!r}.")
    return found


def production_problems(settings: Mapping) -> list[str]:
    """What production needs on top of sensible values: real secrets, PostgreSQL, Stripe keys
    that match the mode, a mail server, cookies sent only over HTTPS, its own address, the
    seller's and bank's details its documents print, and a key of its own that seals two-factor
    secrets."""
    found = []
    secret_key = settings.get("SECRET_KEY") or ""
    if secret_key in DEMO_SECRET_KEYS or len(secret_key) < 32:
        found.append("SECRET_KEY must be set to a random value of at least 32 characters.")
    database = settings.get("SQLALCHEMY_DATABASE_URI") or ""
    if not database:
        found.append("DATABASE_URL must be set.")
    else:
        try:
            backend = make_url(database).get_backend_name()
        except ArgumentError:
            backend = None
        if backend is None:
            found.append("DATABASE_URL is not a database URL (postgresql://user@host/database).")
        elif backend == "sqlite":
            found.append("DATABASE_URL must point to PostgreSQL, not SQLite.")
        elif backend != "postgresql":
            found.append(f"DATABASE_URL must point to PostgreSQL, not {backend}.")

    stripe_key = settings.get("STRIPE_SECRET_KEY") or ""
    live = settings.get("STRIPE_LIVE", False)
    if not stripe_key:
        found.append("STRIPE_SECRET_KEY must be set.")
    elif live and stripe_key.startswith(("sk_test_", "rk_test_")):
        found.append("STRIPE_SECRET_KEY is a test key but STRIPE_LIVE=1: use the live key.")
    elif not live and stripe_key.startswith(("sk_live_", "rk_live_")):
        found.append(
            "STRIPE_SECRET_KEY is a live key but STRIPE_LIVE is not 1: "
            "set STRIPE_LIVE=1 to take real payments, or use a test key."
        )
    if not settings.get("STRIPE_WEBHOOK_SECRET"):
        found.append("STRIPE_WEBHOOK_SECRET must be set (the signing secret of the webhook).")
    if live and settings.get("STRIPE_API_BASE") != "https://api.stripe.com":
        found.append("STRIPE_API_BASE must be https://api.stripe.com when STRIPE_LIVE=1.")

    if settings.get("MAIL_BACKEND") == "smtp":
        for name in ("MAIL_SERVER", "MAIL_DEFAULT_SENDER"):
            if not settings.get(name):
                found.append(f"{name} must be set to send email through SMTP.")

    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not settings.get(name):
            found.append(f"{name} must not be turned off: sign-in cookies go only over HTTPS.")
    if not settings.get("PUBLIC_URL"):
        found.append(
            "PUBLIC_URL must be set to the address people reach the portal at "
            "(https://reports.socitm.example): links in emails are built from it."
        )
    missing = [name for name in DOCUMENT_SETTINGS if not (settings.get(name) or "").strip()]
    if missing:
        found.append(
            f"{', '.join(missing)} must be set: every VAT invoice, receipt and credit note "
            "prints them, and an issued document never changes."
        )
    totp_keys = settings.get("TOTP_ENCRYPTION_KEY") or ""
    if not totp_keys.strip() or DEMO_TOTP_ENCRYPTION_KEY in totp_keys:
        found.append(
            "TOTP_ENCRYPTION_KEY must be set to your own Fernet key (make one with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        )
    return found


def worker_problems(settings: Mapping, workers: int) -> list[str]:
    """What production cannot run with as ``workers`` server processes: rate limits counted in
    memory are counted by each process alone, so every limit is multiplied by their number."""
    in_memory = (settings.get("RATELIMIT_STORAGE_URI") or "").startswith("memory://")
    if (
        settings.get("ENVIRONMENT") == "production"
        and workers > 1
        and in_memory
        and settings.get("RATELIMIT_ENABLED", True)
        and not settings.get("RATELIMIT_ALLOW_MEMORY")
    ):
        return [
            f"Rate limits are counted in memory, separately by each of the {workers} workers: "
            "set REDIS_URL (or RATELIMIT_STORAGE_URI) so they share one count, run one worker "
            "(WEB_CONCURRENCY=1), or set RATELIMIT_ALLOW_MEMORY=1 to accept it."
        ]
    return []


def refusal_message(problems: list[str]) -> str:
    """What the portal prints when it refuses to start: one line per problem."""
    return "The portal cannot start. Fix these settings:\n" + "\n".join(
        f"- {problem}" for problem in problems
    )


def problems_in_environment(workers: int = 1) -> list[str]:
    """What the portal would refuse to start with, given PORTAL_ENV and the other settings in
    the environment, served by ``workers`` processes (checked by gunicorn before it starts any
    worker)."""
    config_class = config_from_environment()
    settings = {name: getattr(config_class, name) for name in dir(config_class) if name.isupper()}
    return config_class.problems(settings) + worker_problems(settings, workers)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    """The configuration class that ``PORTAL_ENV`` names (production when it is unset)."""
    name = os.environ.get("PORTAL_ENV", "production").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise SystemExit(
            f"PORTAL_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}."
        ) from None
