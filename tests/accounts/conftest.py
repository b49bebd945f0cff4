"""Fixtures for the accounts tests: a valid registration, the database as the requests left it,
and a second browser for "signed out everywhere else"."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from tests.helpers import TEST_PASSWORD, csrf_token


@pytest.fixture
def registration():
    """The fields of a registration that passes every rule; tests override one thing at a time."""

    def fields(**overrides) -> dict:
        return {
            "name": "Ada Lovelace",
            "email": "ada.lovelace@example.gov.uk",
            "organisation": "Example Borough Council",
            "password": TEST_PASSWORD,
            "password_confirm": TEST_PASSWORD,
            **overrides,
        }

    return fields


@pytest.fixture
def register(post_form, registration):
    """POST the registration form with ``overrides`` applied to a valid registration."""

    def post(**overrides):
        return post_form("/register", registration(**overrides))

    return post


@pytest.fixture
def stored_user(app):
    """The user with this address as the database holds it now (None if there is none)."""

    def load(email: str) -> User | None:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            if user is not None:
                db.session.expunge(user)
            return user

    return load


@pytest.fixture
def user_count(app):
    """How many accounts the database holds now."""

    def count() -> int:
        with app.app_context():
            return db.session.scalar(select(db.func.count()).select_from(User))

    return count


@pytest.fixture
def other_browser(app):
    """A second, separate browser signed in as someone: ``other_browser(email, password)``."""

    def sign_in(email: str, password: str = TEST_PASSWORD, **extra):
        browser = app.test_client()
        token = csrf_token(browser, "/sign-in")
        response = browser.post(
            "/sign-in", data={"csrf_token": token, "email": email, "password": password, **extra}
        )
        assert response.status_code == 302, "the second browser could not sign in"
        assert browser.get("/account").status_code == 200
        return browser

    return sign_in
