"""A person's whole life with a password, through one browser: register, confirm the address,
sign in, change the password, sign out, forget it, reset it by email, and sign in again."""

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from portal.accounts.models import User
from portal.extensions import db
from tests.accounts.helpers import input_values, is_signed_out, link_in

EMAIL = "ada.lovelace@example.gov.uk"
FIRST = "plum tractor lantern 42"
SECOND = "violet compass harbour 7"
THIRD = "copper kettle meadow 19"


@pytest.fixture
def stored_user(app):
    def load(email: str) -> User:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            db.session.expunge(user)
            return user

    return load


def _submit(browser, path: str, fields: dict, form_page: str | None = None):
    """Fill in the form on a page and send it, as a browser does."""
    page = browser.get(form_page or path)
    assert page.status_code == 200, f"{form_page or path} did not show its form"
    token = input_values(page.get_data(as_text=True))["csrf_token"]
    return browser.post(path, data={"csrf_token": token, **fields})


def test_register_confirm_sign_in_change_forget_and_reset(client, outbox, stored_user):
    registered = _submit(
        client,
        "/register",
        {
            "name": "Ada Lovelace",
            "email": " Ada.Lovelace@Example.gov.uk",
            "organisation": "Example Borough Council",
            "password": FIRST,
            "password_confirm": FIRST,
        },
    )
    assert registered.location == "/register/check-your-email"
    assert EMAIL in client.get(registered.location).get_data(as_text=True)
    assert stored_user(EMAIL).email_verified_at is None

    [verification] = outbox
    assert verification.to == [EMAIL]
    confirmed = client.get(link_in(verification))
    assert urlsplit(confirmed.location).path == "/sign-in"
    assert "Your email address is verified." in client.get(confirmed.location).get_data(
        as_text=True
    )
    assert stored_user(EMAIL).email_verified

    signed_in = _submit(client, "/sign-in", {"email": EMAIL, "password": FIRST})
    assert signed_in.location == "/account"
    account = client.get("/account").get_data(as_text=True)
    assert "Ada Lovelace" in account
    assert "Example Borough Council" in account
    assert "Confirm your email address" not in account

    changed = _submit(
        client,
        "/account/password",
        {"current_password": FIRST, "password": SECOND, "password_confirm": SECOND},
    )
    assert changed.location == "/account"
    assert client.get("/account").status_code == 200
    assert outbox[-1].subject == "Your Socitm Insight reports password has changed"

    signed_out = _submit(client, "/sign-out", {}, form_page="/account")
    assert signed_out.location == "/"
    assert is_signed_out(client)

    outbox.clear()
    asked = _submit(client, "/forgotten-password", {"email": EMAIL})
    assert "Check your email" in asked.get_data(as_text=True)
    [reset_email] = outbox
    reset_link = link_in(reset_email)

    reset = _submit(
        client, reset_link, {"password": THIRD, "password_confirm": THIRD}, form_page=reset_link
    )
    assert urlsplit(reset.location).path == "/sign-in"
    assert client.get(reset_link).status_code == 400
    assert check_password_hash(stored_user(EMAIL).password_hash, THIRD)

    refused = _submit(client, "/sign-in", {"email": EMAIL, "password": SECOND})
    assert "Enter a correct email address and password" in refused.get_data(as_text=True)
    signed_in_again = _submit(client, "/sign-in", {"email": EMAIL, "password": THIRD})
    assert signed_in_again.location == "/account"
    assert client.get("/account").status_code == 200
