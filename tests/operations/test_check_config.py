"""``flask --app wsgi check-config`` and gunicorn, as an operator runs them: a summary without
secrets and "configuration OK", or one line per problem, status 1 and no traceback."""

import os
import subprocess
import sys
from pathlib import Path

from config import DEMO_DOCUMENT_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

GOOD_PRODUCTION = {
    "PORTAL_ENV": "production",
    "SECRET_KEY": "secret-key-" + "k" * 32,
    "DATABASE_URL": "postgresql://insight:db-password@127.0.0.1:18499/insight",
    "STRIPE_SECRET_KEY": "sk_test_stripe-key",
    "STRIPE_WEBHOOK_SECRET": "whsec_webhook-secret",
    "TOTP_ENCRYPTION_KEY": "totpkeytotpkeytotpkeytotpkeytotpkeytotpkey1=",
    "MAIL_SERVER": "smtp.socitm.example",
    "MAIL_DEFAULT_SENDER": "insight@socitm.example",
    "REDIS_URL": "redis://:redis-password@127.0.0.1:6379/2",
    "PUBLIC_URL": "https://reports.socitm.example",
    **DEMO_DOCUMENT_SETTINGS,
}
SECRETS = (
    "k" * 32,
    "db-password",
    "stripe-key",
    "webhook-secret",
    "redis-password",
    "totpkeytotpkey",
)

REFUSED = [
    "The portal cannot start. Fix these settings:",
    "- SECRET_KEY must be set to a random value of at least 32 characters.",
    "- DATABASE_URL must point to PostgreSQL, not SQLite.",
    "- STRIPE_SECRET_KEY is a test key but STRIPE_LIVE=1: use the live key.",
]


def run(command: list[str], tmp_path, **settings) -> subprocess.CompletedProcess:
    """Run ``command`` in the checkout with only ``settings`` in the environment (no .env)."""
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "FLASK_SKIP_DOTENV": "1",
        "STORAGE_ROOT": str(tmp_path),
        **settings,
    }
    return subprocess.run(  # noqa: S603 (our own commands, our own arguments)
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def check_config(tmp_path, *options, **settings) -> subprocess.CompletedProcess:
    return run(
        [str(BIN / "flask"), "--app", "wsgi", "check-config", *options], tmp_path, **settings
    )


def test_a_good_production_configuration_is_summarised_without_secrets(tmp_path):
    result = check_config(tmp_path, **GOOD_PRODUCTION)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Environment: production"
    assert "Database: postgresql at 127.0.0.1:18499, database insight" in lines
    assert f"Storage: local folder {tmp_path}" in lines
    assert "Redis: yes, 127.0.0.1:6379/2" in lines
    assert "Mail: smtp through smtp.socitm.example:587, from insight@socitm.example" in lines
    assert "Public address: https://reports.socitm.example" in lines
    assert "Stripe: test mode, API https://api.stripe.com" in lines
    assert lines[-1] == "configuration OK"
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr


def test_bad_production_settings_are_listed_one_per_line(tmp_path):
    result = check_config(
        tmp_path,
        **{
            **GOOD_PRODUCTION,
            "SECRET_KEY": "dev-not-secret",
            "DATABASE_URL": "sqlite:///portal.db",
            "STRIPE_LIVE": "1",
        },
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == REFUSED
    assert result.stdout == ""


def test_a_number_that_is_not_one_is_a_line_not_a_traceback(tmp_path):
    result = check_config(tmp_path, PORTAL_ENV="development", MAIL_PORT="abc")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "The portal cannot start. Fix these settings:",
        "- MAIL_PORT must be a whole number, not 'abc'.",
    ]


def test_development_passes_and_production_is_checked_on_request(tmp_path):
    result = check_config(tmp_path, PORTAL_ENV="development")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Environment: development\nDatabase: sqlite")
    assert result.stdout.endswith("configuration OK\n")
    result = check_config(tmp_path, "--production", PORTAL_ENV="development")
    assert result.returncode == 1
    assert "- DATABASE_URL must be set." in result.stderr.splitlines()


def test_gunicorn_refuses_before_starting_a_worker(tmp_path):
    result = run(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        tmp_path,
        **{
            **GOOD_PRODUCTION,
            "SECRET_KEY": "dev-not-secret",
            "DATABASE_URL": "sqlite:///portal.db",
            "STRIPE_LIVE": "1",
            "BIND": "127.0.0.1:18430",
            "WEB_CONCURRENCY": "1",
        },
    )
    assert result.returncode == 1
    assert "\n".join(REFUSED) in result.stderr
    assert "Booting worker" not in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_refuses_limits_in_memory_with_several_workers(tmp_path):
    result = run(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        tmp_path,
        **{**GOOD_PRODUCTION, "REDIS_URL": "", "BIND": "127.0.0.1:18431", "WEB_CONCURRENCY": "3"},
    )
    assert result.returncode == 1
    assert "- Rate limits are counted in memory, separately by each of the 3 workers" in (
        result.stderr
    )
    assert "Booting worker" not in result.stderr
    assert "Traceback" not in result.stderr
