"""The application as a whole: error pages, response headers, configuration classes."""

import pytest

from config import Config, ProductionConfig, config_from_environment
from portal.catalogue import cache as catalogue_cache


@pytest.mark.parametrize(
    ("method", "path", "status", "heading"),
    [
        ("get", "/no-such-page", 404, "Page not found"),
        ("get", "/sign-out", 405, "Sorry, that cannot be done here"),
        ("post", "/register", 400, "Your form could not be sent"),  # no CSRF token
    ],
)
def test_errors_have_friendly_pages(client, method, path, status, heading):
    response = getattr(client, method)(path)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert heading in page
    assert 'href="/reports"' in page  # the page leads somewhere useful
    assert "Traceback" not in page


def test_unexpected_errors_show_the_500_page(app, client, monkeypatch):
    def broken():
        raise RuntimeError("something went wrong")

    monkeypatch.setattr(catalogue_cache, "published_reports", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/reports")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page
    assert "something went wrong" not in page


def test_pages_carry_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "form-action 'self' https://checkout.stripe.com;" in csp  # the payment page
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_inline_script_carries_the_csp_nonce(client):
    response = client.get("/")
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in response.get_data(as_text=True)


def test_production_cookies_are_secure():
    assert ProductionConfig.SESSION_COOKIE_SECURE and ProductionConfig.REMEMBER_COOKIE_SECURE
    assert Config.SESSION_COOKIE_HTTPONLY and Config.SESSION_COOKIE_SAMESITE == "Lax"


@pytest.mark.parametrize(
    ("name", "expected"), [("development", "DevelopmentConfig"), ("Testing", "TestingConfig")]
)
def test_portal_env_picks_the_configuration(monkeypatch, name, expected):
    monkeypatch.setenv("PORTAL_ENV", name)
    assert config_from_environment().__name__ == expected


def test_unknown_portal_env_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "staging")
    with pytest.raises(SystemExit, match="staging"):
        config_from_environment()
