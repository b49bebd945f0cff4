"""Headers every response carries, and the flags on the cookies that keep people signed in."""

import pytest
from flask import session
from flask_login import UserMixin, login_user

from config import DevelopmentConfig, ProductionConfig, TestingConfig
from portal import create_app

HSTS = "Strict-Transport-Security"


class _Production(ProductionConfig):
    SECRET_KEY = "a-random-value-only-for-this-test-0123456789"
    SQLALCHEMY_DATABASE_URI = "sqlite://"

    @staticmethod
    def problems(settings) -> list[str]:
        return []  # the checks on real settings are tested in tests/test_config.py


class _Development(DevelopmentConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"


class _Someone(UserMixin):
    def get_id(self) -> str:
        return "a-session-token"


def _app_with_probe(config):
    """An app for ``config`` with a page that needs no database and sets both cookies."""
    app = create_app(config)

    def probe():
        session["seen"] = True
        login_user(_Someone(), remember=True)
        return "ok"

    app.add_url_rule("/probe", "probe", probe)
    return app


@pytest.fixture(scope="module")
def production():
    return _app_with_probe(_Production)


@pytest.fixture(scope="module")
def development():
    return _app_with_probe(_Development)


def _cookie(response, name: str) -> str:
    found = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert len(found) == 1, response.headers.getlist("Set-Cookie")
    return found[0]


def test_production_insists_on_https_for_a_year(production):
    response = production.test_client().get("/probe", base_url="https://localhost")

    assert response.headers[HSTS] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("config", [_Development, TestingConfig], ids=["development", "testing"])
def test_hsts_is_only_sent_where_the_site_is_served_over_https(config, development, client):
    app_client = development.test_client() if config is _Development else client

    assert HSTS not in app_client.get("/sign-in").headers


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
    ],
)
def test_every_page_carries_the_security_headers(client, header, value):
    for path in ("/", "/sign-in", "/no-such-page"):
        assert client.get(path).headers[header] == value, path


def test_the_content_security_policy_has_no_unsafe_inline(client):
    policy = client.get("/").headers["Content-Security-Policy"]

    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "'nonce-" in policy


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_production_cookies_are_secure_httponly_and_same_site(production, name):
    response = production.test_client().get("/probe", base_url="https://localhost")

    cookie = _cookie(response, name)
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie


@pytest.mark.parametrize("name", ["session", "remember_token"])
def test_development_cookies_work_over_plain_http_but_stay_httponly(development, name):
    response = development.test_client().get("/probe")

    cookie = _cookie(response, name)
    assert "; Secure" not in cookie
    assert "; HttpOnly" in cookie
    assert "; SameSite=Lax" in cookie
