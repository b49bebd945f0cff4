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

    # Rate limits (Flask-Limiter; the limits themselves are in portal/limits.py). One process
    # counts in memory; several app servers share a count in Redis: redis://host:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
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

    # Files (report PDFs, stamped copies) live outside any public folder.
    STORAGE_ROOT = os.environ.get("STORAGE_ROOT", str(INSTANCE_DIR / "storage"))
    # How long the link in an order email opens the order and its downloads.
    DOWNLOAD_LINK_MAX_AGE = _int("DOWNLOAD_LINK_MAX_AGE", 60 * 60 * 24 * 30)
    # "" streams downloads from the app; "x-accel-redirect" (nginx) or "x-sendfile" hands the
    # file to the front web server instead.
    DOWNLOAD_OFFLOAD = os.environ.get("DOWNLOAD_OFFLOAD", "")

    # Stripe (used from the checkout issue on)
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
    # Where "Place order and pay" sends the browser: forms may lead there (CSP form-action).
    PAYMENT_PAGE_ORIGIN = os.environ.get("PAYMENT_PAGE_ORIGIN", "https://checkout.stripe.com")

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


class ProductionConfig(Config):
    """Production: every secret and address from the environment; cookies only over HTTPS."""

    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")

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
