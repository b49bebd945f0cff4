"""Settings checked at start-up: production refuses each bad one with one clear line, lists every
problem at once, and starts with a good set. Values no environment can use are refused too."""

import ast
import os
import re
from pathlib import Path

import pytest
from flask.config import Config as FlaskConfig

import config
from config import (
    DEMO_DOCUMENT_SETTINGS,
    DOCUMENT_SETTINGS,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    bank_problems,
    production_problems,
    settings_problems,
    worker_problems,
)
from portal import create_app
from portal.extensions import db

ROOT = Path(__file__).resolve().parent.parent

GOOD_PRODUCTION = {
    "SECRET_KEY": "s" * 40,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://insight@db.internal/insight",
    "STRIPE_SECRET_KEY": "sk_test_abc",
    "STRIPE_WEBHOOK_SECRET": "whsec_abc",
    "TOTP_ENCRYPTION_KEY": "yLw2aTqSUh4cCU9yAmzGq6GqzSDTqEmfHvh6dBzWxoc=",
    "STRIPE_LIVE": False,
    "STRIPE_API_BASE": "https://api.stripe.com",
    "MAIL_BACKEND": "smtp",
    "MAIL_SERVER": "smtp.socitm.example",
    "MAIL_DEFAULT_SENDER": "Socitm Insight <insight@socitm.example>",
    "SESSION_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_SECURE": True,
    "STORAGE_BACKEND": "local",
    "S3_BUCKET": "",
    "S3_DOWNLOADS": "presigned",
    "DOWNLOAD_OFFLOAD": "",
    "REDIS_URL": "",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    "PROXY_COUNT": 1,
    "SENTRY_DSN": "",
    "PUBLIC_URL": "https://reports.socitm.example",
    "UNREADABLE_SETTINGS": {},
    **DEMO_DOCUMENT_SETTINGS,
}


def production_settings(**changes) -> FlaskConfig:
    """ProductionConfig as an app would load it, with the good values above and ``changes``."""
    settings = FlaskConfig(str(ROOT))
    settings.from_object(ProductionConfig)
    settings.update(GOOD_PRODUCTION, **changes)
    return settings


def test_a_good_production_configuration_has_no_problems():
    assert ProductionConfig.problems(production_settings()) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"SECRET_KEY": "dev-not-secret"}, "SECRET_KEY must be set to a random value"),
        ({"SECRET_KEY": "too-short-but-random"}, "SECRET_KEY must be set to a random value"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set to a random value"),
        ({"SQLALCHEMY_DATABASE_URI": ""}, "DATABASE_URL must be set."),
        (
            {"SQLALCHEMY_DATABASE_URI": "sqlite:///portal.db"},
            "DATABASE_URL must point to PostgreSQL, not SQLite.",
        ),
        (
            {"SQLALCHEMY_DATABASE_URI": "mysql+pymysql://db/insight"},
            "DATABASE_URL must point to PostgreSQL, not mysql.",
        ),
        ({"SQLALCHEMY_DATABASE_URI": "not a url"}, "DATABASE_URL is not a database URL"),
        ({"STRIPE_SECRET_KEY": ""}, "STRIPE_SECRET_KEY must be set."),
        ({"STRIPE_WEBHOOK_SECRET": ""}, "STRIPE_WEBHOOK_SECRET must be set"),
        (
            {"STRIPE_LIVE": True, "STRIPE_SECRET_KEY": "sk_test_abc"},
            "STRIPE_SECRET_KEY is a test key but STRIPE_LIVE=1",
        ),
        (
            {"STRIPE_LIVE": True, "STRIPE_SECRET_KEY": "rk_test_abc"},
            "STRIPE_SECRET_KEY is a test key but STRIPE_LIVE=1",
        ),
        ({"STRIPE_SECRET_KEY": "sk_live_abc"}, "STRIPE_SECRET_KEY is a live key but STRIPE_LIVE"),
        (
            {
                "STRIPE_LIVE": True,
                "STRIPE_SECRET_KEY": "sk_live_abc",
                "STRIPE_API_BASE": "http://127.0.0.1:12111",
            },
            "STRIPE_API_BASE must be https://api.stripe.com when STRIPE_LIVE=1.",
        ),
        ({"MAIL_SERVER": ""}, "MAIL_SERVER must be set to send email through SMTP."),
        ({"MAIL_DEFAULT_SENDER": ""}, "MAIL_DEFAULT_SENDER must be set"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE must not be turned off"),
        ({"REMEMBER_COOKIE_SECURE": False}, "REMEMBER_COOKIE_SECURE must not be turned off"),
        ({"STORAGE_BACKEND": "nfs"}, "STORAGE_BACKEND must be one of local, s3, not 'nfs'."),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET must name the bucket when STORAGE_BACKEND is s3."),
        (
            {"STORAGE_BACKEND": "s3", "S3_BUCKET": "insight-files", "S3_DOWNLOADS": "email"},
            "S3_DOWNLOADS must be one of presigned, stream",
        ),
        ({"DOWNLOAD_OFFLOAD": "nginx"}, "DOWNLOAD_OFFLOAD must be 'x-accel-redirect' or"),
        ({"REDIS_URL": "127.0.0.1:6379"}, "REDIS_URL must be a redis:// or rediss:// URL"),
        ({"REDIS_URL": "http://cache"}, "REDIS_URL must be a redis:// or rediss:// URL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be 'json' or 'text', not 'xml'."),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be"),
        ({"PROXY_COUNT": -1}, "PROXY_COUNT must be 0"),
        ({"SENTRY_DSN": "not-a-dsn"}, "SENTRY_DSN must be the https:// address"),
        ({"PUBLIC_URL": ""}, "PUBLIC_URL must be set to the address people reach the portal at"),
        ({"PUBLIC_URL": "reports.socitm.example"}, "PUBLIC_URL must be the address people"),
        ({"PUBLIC_URL": "ftp://reports.socitm.example"}, "PUBLIC_URL must be the address people"),
        ({"PUBLIC_URL": "https://"}, "PUBLIC_URL must be the address people"),
        ({"PUBLIC_URL": "https://reports.socitm.example/?a=1"}, "PUBLIC_URL must be the address"),
        ({"PUBLIC_URL": "https://reports.socitm.example:port"}, "PUBLIC_URL must be the address"),
        ({"PUBLIC_URL": "https://user@reports.socitm.example"}, "PUBLIC_URL must be the address"),
        (
            {"UNREADABLE_SETTINGS": {"MAIL_PORT": "MAIL_PORT must be a whole number, not 'abc'."}},
            "MAIL_PORT must be a whole number, not 'abc'.",
        ),
        *(
            ({name: ""}, f"{name} must be set: every VAT invoice, receipt and credit note")
            for name in DOCUMENT_SETTINGS
        ),
        ({"BANK_IBAN": "  "}, "BANK_IBAN must be set"),
        (
            {"BANK_IBAN": "GB47 DEMO 0000 0000 0000 00"},
            "BANK_IBAN is not a valid IBAN (its check digits do not match)",
        ),
        ({"BANK_IBAN": "00-00-00 00000000"}, "BANK_IBAN is not a valid IBAN"),
        ({"BANK_BIC": "DEMO"}, "BANK_BIC must be a BIC of 8 or 11 letters and digits"),
        ({"BANK_BIC": "demogb2l"}, "BANK_BIC must be a BIC"),
        ({"REMITTANCE_EMAIL": "finance"}, "REMITTANCE_EMAIL must be an email address"),
    ],
)
def test_production_refuses_each_bad_setting(changes, problem):
    problems = ProductionConfig.problems(production_settings(**changes))
    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


@pytest.mark.parametrize(
    "changes",
    [
        {"STRIPE_LIVE": True, "STRIPE_SECRET_KEY": "sk_live_abc"},
        {"STRIPE_LIVE": True, "STRIPE_SECRET_KEY": "rk_live_abc"},
        {"MAIL_BACKEND": "console", "MAIL_SERVER": "", "MAIL_DEFAULT_SENDER": ""},
        {"STORAGE_BACKEND": "s3", "S3_BUCKET": "insight-files", "S3_DOWNLOADS": "stream"},
        {"REDIS_URL": "rediss://:password@cache.internal:6380/0", "PROXY_COUNT": 0},
        {"SENTRY_DSN": "https://public@errors.example/4", "LOG_FORMAT": "text"},
        {"PUBLIC_URL": "https://socitm.example/insight", "PROXY_TRUST_PREFIX": True},
        {"PUBLIC_URL": "http://127.0.0.1:8000"},
    ],
)
def test_production_accepts_good_variations(changes):
    assert ProductionConfig.problems(production_settings(**changes)) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"BANK_IBAN": "GB29NWBK60161331926819", "BANK_BIC": "NWBKGB2LXXX"},
        {"BANK_IBAN": "gb29 nwbk 6016 1331 9268 19"},
        {"SUPPLIER_REGISTERED_OFFICE": "2 Other Street\\nBedford"},
    ],
)
def test_production_accepts_real_document_details(changes):
    assert ProductionConfig.problems(production_settings(**changes)) == []


def test_production_invents_no_document_details_and_names_every_missing_one(monkeypatch):
    for name in DOCUMENT_SETTINGS:
        assert getattr(ProductionConfig, name) == os.environ.get(name, "")
    settings = production_settings(**dict.fromkeys(DOCUMENT_SETTINGS, ""))
    [problem] = ProductionConfig.problems(settings)
    assert problem.startswith(", ".join(DOCUMENT_SETTINGS) + " must be set")


@pytest.mark.parametrize("config_class", [DevelopmentConfig, TestingConfig])
def test_the_laptop_and_the_tests_print_illustrative_details(config_class):
    for name, value in DEMO_DOCUMENT_SETTINGS.items():
        assert getattr(config_class, name) == os.environ.get(name, value)
    assert bank_problems(DEMO_DOCUMENT_SETTINGS) == []
    # A bank detail nobody could pay to is refused everywhere, not only in production.
    assert bank_problems({"BANK_IBAN": "GB00 DEMO 0000 0000 0000 00"}) == [
        "BANK_IBAN is not a valid IBAN (its check digits do not match): "
        "'GB00 DEMO 0000 0000 0000 00'."
    ]
    assert "BANK_BIC must be" in " ".join(settings_problems({"BANK_BIC": "x"}))


def test_every_problem_is_listed_together():
    settings = production_settings(
        SECRET_KEY="dev-not-secret",
        SQLALCHEMY_DATABASE_URI="sqlite://",
        STRIPE_WEBHOOK_SECRET="",
        SESSION_COOKIE_SECURE=False,
        LOG_FORMAT="xml",
    )
    problems = ProductionConfig.problems(settings)
    assert [problem.split()[0] for problem in problems] == [
        "LOG_FORMAT",
        "SECRET_KEY",
        "DATABASE_URL",
        "STRIPE_WEBHOOK_SECRET",
        "SESSION_COOKIE_SECURE",
    ]


def test_create_app_refuses_with_one_line_per_problem():
    class Refused(ProductionConfig):
        SECRET_KEY = "dev-not-secret"
        SQLALCHEMY_DATABASE_URI = ""
        STRIPE_SECRET_KEY = "sk_test_abc"
        STRIPE_WEBHOOK_SECRET = "whsec_abc"
        TOTP_ENCRYPTION_KEY = GOOD_PRODUCTION["TOTP_ENCRYPTION_KEY"]
        MAIL_SERVER = "smtp.socitm.example"
        MAIL_DEFAULT_SENDER = "insight@socitm.example"
        PUBLIC_URL = "https://reports.socitm.example"

    for name, value in DEMO_DOCUMENT_SETTINGS.items():
        setattr(Refused, name, value)
    with pytest.raises(SystemExit) as refused:
        create_app(Refused)
    assert str(refused.value).splitlines() == [
        "The portal cannot start. Fix these settings:",
        "- SECRET_KEY must be set to a random value of at least 32 characters.",
        "- DATABASE_URL must be set.",
    ]


def test_a_good_production_configuration_starts(tmp_path):
    class Good(ProductionConfig):
        STORAGE_ROOT = str(tmp_path)
        LOG_FORMAT = "text"

    for name, value in GOOD_PRODUCTION.items():
        if name not in ("LOG_FORMAT", "UNREADABLE_SETTINGS"):
            setattr(Good, name, value)
    app = create_app(Good)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["PREFERRED_URL_SCHEME"] == "https"
    # Database errors name the statement, never the values in it.
    with app.app_context():
        assert db.engine.hide_parameters


def test_other_environments_refuse_values_no_environment_can_use():
    class Testing(TestingConfig):
        STORAGE_BACKEND = "nfs"

    with pytest.raises(SystemExit, match="STORAGE_BACKEND must be one of local, s3"):
        create_app(Testing)
    # …but not what only production needs.
    assert settings_problems({"STORAGE_BACKEND": "local", "S3_DOWNLOADS": "stream"}) == [
        "DOWNLOAD_OFFLOAD must be 'x-accel-redirect' or 'x-sendfile', not None.",
        "LOG_FORMAT must be 'json' or 'text', not None.",
        "LOG_LEVEL must be 'DEBUG' or 'INFO' or 'WARNING' or 'ERROR' or 'CRITICAL', not None.",
    ]
    assert "SECRET_KEY" not in " ".join(settings_problems(production_settings(SECRET_KEY="")))
    assert "SECRET_KEY" in " ".join(production_problems(production_settings(SECRET_KEY="")))


@pytest.mark.parametrize(
    ("reader", "value", "problem"),
    [
        (config._int, "abc", "MAIL_PORT must be a whole number, not 'abc'."),
        (config._int, "5.5", "MAIL_PORT must be a whole number, not '5.5'."),
        (config._bool, "perhaps", "MAIL_PORT must be 1 or 0 (true or false), not 'perhaps'."),
    ],
)
def test_unreadable_values_take_the_default_and_are_reported(monkeypatch, reader, value, problem):
    unreadable = {}
    monkeypatch.setattr(config, "UNREADABLE_SETTINGS", unreadable)
    monkeypatch.setenv("MAIL_PORT", value)
    default = 587 if reader is config._int else True
    assert reader("MAIL_PORT", default) == default
    assert unreadable == {"MAIL_PORT": problem}


@pytest.mark.parametrize(("value", "expected"), [("1", True), (" Yes ", True), ("off", False)])
def test_yes_and_no_are_read(monkeypatch, value, expected):
    monkeypatch.setattr(config, "UNREADABLE_SETTINGS", {})
    monkeypatch.setenv("STRIPE_LIVE", value)
    assert config._bool("STRIPE_LIVE") is expected
    assert config.UNREADABLE_SETTINGS == {}


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://insight@db/insight", "postgresql+psycopg://insight@db/insight"),
        ("postgresql://insight@db/insight", "postgresql+psycopg://insight@db/insight"),
        ("postgresql+psycopg://insight@db/insight", "postgresql+psycopg://insight@db/insight"),
        ("", "sqlite:///default.db"),
    ],
)
def test_database_url_uses_the_installed_driver(monkeypatch, given, used):
    monkeypatch.setenv("DATABASE_URL", given)
    assert config._database_url("sqlite:///default.db") == used


def environment_names(path: Path) -> set[str]:
    """Every environment variable ``path`` reads: through os.environ / os.getenv, or through a
    helper in the same file that does (``_int("MAIL_PORT", …)``)."""
    tree = ast.parse(path.read_text())

    def reads_environment(node: ast.AST) -> bool:
        return "environ" in ast.unparse(node) or "getenv" in ast.unparse(node)

    helpers = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and reads_environment(node)
    }
    names = set()
    for node in ast.walk(tree):
        first = None
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv") or func in helpers:
                first = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            first = node.slice
        elif isinstance(node, ast.Compare) and ast.unparse(node.comparators[0]) == "os.environ":
            first = node.left
        if isinstance(first, ast.Constant) and re.fullmatch(r"[A-Z][A-Z0-9_]*", str(first.value)):
            names.add(first.value)
    return names


def test_env_example_lists_every_setting_read():
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    read = environment_names(ROOT / "config.py") | environment_names(ROOT / "gunicorn.conf.py")
    assert {"SECRET_KEY", "MAIL_PORT", "WEB_CONCURRENCY", "PORTAL_ENV"} <= read  # the walk works
    assert sorted(read - documented) == []


def test_env_example_says_what_each_setting_is_for():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"^#?\s*[A-Z][A-Z0-9_]+=", line):
            assert lines[number - 1].startswith("#"), f"no comment above {line!r}"


MEMORY_LIMITS = "Rate limits are counted in memory"


@pytest.mark.parametrize(
    ("changes", "workers", "refused"),
    [
        ({}, 2, True),
        ({}, 9, True),
        ({}, 1, False),
        ({"RATELIMIT_ALLOW_MEMORY": True}, 4, False),
        ({"RATELIMIT_ENABLED": False}, 4, False),
        ({"RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/0"}, 4, False),
        ({"ENVIRONMENT": "development"}, 4, False),
    ],
)
def test_production_refuses_limits_in_memory_with_several_workers(changes, workers, refused):
    settings = production_settings(**{"RATELIMIT_STORAGE_URI": "memory://", **changes})
    problems = worker_problems(settings, workers)
    assert [p.startswith(MEMORY_LIMITS) for p in problems] == ([True] if refused else [])
