"""Changing the password while signed in."""

import pytest
from werkzeug.security import check_password_hash

from tests.accounts.helpers import is_signed_out
from tests.helpers import TEST_PASSWORD

NEW_PASSWORD = "violet compass harbour 7"


@pytest.fixture
def grace(create_user, auth):
    """Grace, signed in in this browser."""
    person = create_user(email="grace@example.gov.uk", name="Grace Hopper")
    auth.sign_in(person.email)
    return person


@pytest.fixture
def change(post_form):
    def submit(
        current: str = TEST_PASSWORD, password: str = NEW_PASSWORD, confirm: str | None = None
    ):
        return post_form(
            "/account/password",
            {
                "current_password": current,
                "password": password,
                "password_confirm": password if confirm is None else confirm,
            },
        )

    return submit


def test_the_form_needs_sign_in(client):
    response = client.get("/account/password")

    assert response.status_code == 302
    assert response.location == "/sign-in?next=%2Faccount%2Fpassword"


def test_changing_keeps_this_browser_signed_in(client, grace, change, stored_user):
    response = change()

    assert response.status_code == 302
    assert response.location == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "Your password has been changed" in page.get_data(as_text=True)
    stored = stored_user(grace.email).password_hash
    assert check_password_hash(stored, NEW_PASSWORD)
    assert not check_password_hash(stored, TEST_PASSWORD)


def test_changing_signs_out_every_other_browser(grace, change, other_browser):
    elsewhere = other_browser(grace.email)
    remembered = other_browser(grace.email, remember="y")
    remembered.delete_cookie("session")

    change()

    assert is_signed_out(elsewhere)
    assert is_signed_out(remembered)


def test_remember_me_survives_changing_the_password(client, create_user, auth, change):
    person = create_user()
    auth.sign_in(person.email, remember="y")

    change()
    client.delete_cookie("session")

    assert client.get("/account").status_code == 200


def test_the_new_password_signs_in_and_the_old_does_not(app, grace, change, other_browser):
    change()

    other_browser(grace.email, NEW_PASSWORD)
    with pytest.raises(AssertionError, match="could not sign in"):
        other_browser(grace.email, TEST_PASSWORD)


def test_changing_sends_a_password_changed_email(grace, change, outbox):
    change()

    assert [(message.to, message.subject) for message in outbox] == [
        ([grace.email], "Your Socitm Insight reports password has changed")
    ]


def test_a_wrong_current_password_changes_nothing(
    client, grace, change, stored_user, outbox, other_browser
):
    elsewhere = other_browser(grace.email)

    response = change(current="not my password 1")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Current password is not correct" in page
    assert stored_user(grace.email).password_hash == grace.password_hash
    assert stored_user(grace.email).session_token == grace.session_token
    assert outbox == []
    assert elsewhere.get("/account").status_code == 200
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize(
    ("current", "password", "confirm", "message"),
    [
        ("", NEW_PASSWORD, None, "Enter your current password"),
        (TEST_PASSWORD, "", "", "Enter a password"),
        (TEST_PASSWORD, "short one", None, "Password must be 10 characters or more"),
        (TEST_PASSWORD, "n" * 129, None, "Password must be 128 characters or fewer"),
        (TEST_PASSWORD, "qwertyuiop", None, "Choose a password that is harder to guess"),
        (TEST_PASSWORD, "gracehopper", None, "Choose a password that is harder to guess"),
        (TEST_PASSWORD, "grace@example.gov.uk", None, "Choose a password that is harder to guess"),
        (TEST_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "Passwords do not match"),
    ],
)
def test_the_new_password_must_follow_the_rules(
    grace, change, stored_user, outbox, current, password, confirm, message
):
    response = change(current, password, confirm)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert stored_user(grace.email).password_hash == grace.password_hash
    assert outbox == []
