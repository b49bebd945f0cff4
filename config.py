"""Configuration classes, read from environment variables.

``PORTAL_ENV`` picks one: ``development`` (the laptop default: SQLite, local files, emails to the
console), ``testing`` (used by the test suite) or ``production``.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

#: Secret keys that must never reach production.
DEMO_SECRET_KEYS = frozenset({"dev-not-secret", "test-not-secret"})


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.db'}"
    )

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

    # Redis: shared rate-limit counts and the background job queue (sending the email outbox,
    # stamping downloads). Empty (the laptop default): counts in memory, jobs run in-process.
    REDIS_URL = os.environ.get("REDIS_URL", "")
    # The queue's name in Redis; tests use their own.
    JOB_QUEUE_NAME = os.environ.get("JOB_QUEUE_NAME", "portal")

    # Rate limits (Flask-Limiter; the limits themselves are in portal/limits.py). One process
    # counts in memory; several app servers share a count in Redis (REDIS_URL, unless this names
    # another store).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # A sliding window: a burst cannot double its allowance across the edge of a fixed window.
    RATELIMIT_STRATEGY = "moving-window"
    # When the shared store cannot be reached, count in memory rather than answer with an error.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # False exempts every request but keeps the limiter wired in, so a test can switch it on.
    RATELIMIT_APPLY = True

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

    # Email (Flask-Mailman). Development prints to the console.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "console")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = _int("MAIL_PORT", 587)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", True)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_TIMEOUT = 10
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Socitm Insight <insight@socitm.example>"
    )

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
    # "" streams downloads from the app; "x-accel-redirect" (nginx) or "x-sendfile" hands the
    # file to the front web server instead.
    DOWNLOAD_OFFLOAD = os.environ.get("DOWNLOAD_OFFLOAD", "")

    # Stripe (used from the checkout issue on)
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # 1 when taking real money: test keys are then refused at start-up.
    STRIPE_LIVE = _bool("STRIPE_LIVE", False)
    # Where "Place order and pay" sends the browser: forms may lead there (CSP form-action).
    PAYMENT_PAGE_ORIGIN = os.environ.get("PAYMENT_PAGE_ORIGIN", "https://checkout.stripe.com")

    # Operations. Behind a reverse proxy, how many proxies set X-Forwarded-For/-Proto/-Host (0:
    # the app is reached directly and those headers are ignored).
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    # "json" (one object per line, for a log collector) or "text" (for a person at a terminal).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower()
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    # Error reporting through Sentry (or a compatible service) when set.
    SENTRY_DSN = os.environ.get("SENTRY_DSN", "")

    SUPPORT_EMAIL = os.environ.get("SUPPORT_EMAIL", "insight@socitm.example")

    # The seller named on VAT invoices, receipts and credit notes, and where invoices are paid.
    # The defaults are illustrative; production sets the real ones.
    SUPPLIER_NAME = os.environ.get("SUPPLIER_NAME", "Socitm Limited")
    SUPPLIER_ADDRESS = os.environ.get(
        "SUPPLIER_ADDRESS",
        "Socitm Limited\nBriefing House, 1 Example Street\nNorthampton\nNN1 1AA",
    )
    SUPPLIER_VAT_NUMBER = os.environ.get("SUPPLIER_VAT_NUMBER", "GB 000 0000 00")
    BANK_ACCOUNT_NAME = os.environ.get("BANK_ACCOUNT_NAME", "Socitm Limited")
    BANK_SORT_CODE = os.environ.get("BANK_SORT_CODE", "00-00-00")
    BANK_ACCOUNT_NUMBER = os.environ.get("BANK_ACCOUNT_NUMBER", "00000000")
    INVOICE_PAYMENT_DAYS = _int("INVOICE_PAYMENT_DAYS", 30)


class DevelopmentConfig(Config):
    """The laptop: SQLite in ``instance/``, emails to the console, a demo secret key, and the
    offline Stripe stand-in (``python -m stripe_standin``, started by ``make run``)."""

    DEBUG = False  # the interactive debugger stays off even on a laptop; errors show our pages
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:12111")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_standin")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_standin")
    PAYMENT_PAGE_ORIGIN = os.environ.get("PAYMENT_PAGE_ORIGIN", STRIPE_API_BASE)


class TestingConfig(Config):
    """The test suite: an in-memory SQLite database unless TEST_DATABASE_URL says otherwise."""

    TESTING = True
    SECRET_KEY = "test-not-secret"  # noqa: S105 (refused in production)
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    MAIL_BACKEND = "locmem"
    SERVER_NAME = "localhost"
    # Hashing is deliberately slow; the tests exercise the same code with a cheaper cost.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105
    # Limits off, except in the tests that are about them (tests/security/test_limits.py).
    RATELIMIT_APPLY = False
    # No Redis whatever the environment says: jobs run in-process, limits count in memory. The
    # tests about Redis turn it on for themselves (TEST_REDIS_URL).
    REDIS_URL = ""
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    """Production: every secret and address from the environment; cookies only over HTTPS."""

    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("REMEMBER_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    PROXY_COUNT = _int("PROXY_COUNT", 1)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()

    @classmethod
    def problems(cls) -> list[str]:
        """Reasons this configuration must not serve real people; empty when it may start."""
        found = []
        if cls.SECRET_KEY in DEMO_SECRET_KEYS or len(cls.SECRET_KEY) < 32:
            found.append("SECRET_KEY must be set to a random value of at least 32 characters.")
        if "DATABASE_URL" not in os.environ:
            found.append("DATABASE_URL must be set.")
        elif cls.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            found.append("DATABASE_URL must point to PostgreSQL, not SQLite.")
        return found


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
