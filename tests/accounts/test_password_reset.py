"""Forgotten password: the emailed, single-use, expiring link that sets a new password."""

from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.security import check_password_hash

from tests.accounts.helpers import is_signed_out, link_in, without
from tests.helpers import TEST_PASSWORD

NEW_PASSWORD = "violet compass harbour 7"
PASSWORD_CHANGED = "Your Socitm Insight reports password has changed"


@pytest.fixture
def grace(create_user):
    return create_user(email="grace@example.gov.uk", name="Grace Hopper")


@pytest.fixture
def reset_link(grace, post_form, outbox):
    """Ask for a reset for Grace and return the link her email carries."""
    post_form("/forgotten-password", {"email": grace.email})
    return link_in(outbox[-1])


@pytest.fixture
def choose(post_form):
    """Submit the form behind a reset link (with this browser's CSRF token, even when the link
    itself shows no form)."""

    def submit(link: str, password: str = NEW_PASSWORD, confirm: str | None = None):
        path = urlsplit(link).path
        fields = {
            "password": password,
            "password_confirm": password if confirm is None else confirm,
        }
        return post_form(path, fields, form_page="/forgotten-password")

    return submit


def test_a_registered_address_is_emailed_a_reset_link(grace, post_form, outbox):
    response = post_form("/forgotten-password", {"email": "  Grace@Example.GOV.uk "})

    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert len(outbox) == 1
    assert outbox[0].to == [grace.email]
    assert outbox[0].subject == "Reset your Socitm Insight reports password"
    assert link_in(outbox[0]).startswith("http://localhost/reset-password/")


def test_an_unregistered_address_is_told_no_account_uses_it(post_form, outbox):
    response = post_form("/forgotten-password", {"email": " Nobody@Example.gov.uk"})

    assert response.status_code == 200
    (message,) = outbox
    assert message.to == ["nobody@example.gov.uk"]
    assert message.subject == "Reset your Socitm Insight reports password"
    assert "no account uses it" in message.body
    assert "/reset-password/" not in message.body


def test_registered_and_unregistered_addresses_get_the_same_page(grace, post_form):
    registered = post_form("/forgotten-password", {"email": grace.email})
    unregistered = post_form("/forgotten-password", {"email": "nobody@example.gov.uk"})

    assert registered.status_code == unregistered.status_code
    assert without(registered.get_data(as_text=True), grace.email) == without(
        unregistered.get_data(as_text=True), "nobody@example.gov.uk"
    )


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address"),
        ("grace", "Enter an email address in the correct format"),
        ("g" * 250 + "@example.gov.uk", "Email address must be 254 characters or fewer"),
    ],
)
def test_forgotten_password_needs_an_address(post_form, outbox, email, message):
    response = post_form("/forgotten-password", {"email": email})

    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert message in page
    assert outbox == []


def test_the_link_shows_the_form(client, reset_link):
    response = client.get(reset_link)

    assert response.status_code == 200
    assert "Choose a new password" in response.get_data(as_text=True)


def test_the_link_sets_the_new_password(client, auth, choose, reset_link, grace, stored_user):
    response = choose(reset_link)

    assert response.status_code == 302
    location = urlsplit(response.location)
    assert (location.path, parse_qs(location.query)) == ("/sign-in", {"email": [grace.email]})
    stored = stored_user(grace.email).password_hash
    assert check_password_hash(stored, NEW_PASSWORD)
    assert not check_password_hash(stored, TEST_PASSWORD)
    assert "There is a problem" in auth.sign_in(grace.email, TEST_PASSWORD).get_data(as_text=True)
    assert auth.sign_in(grace.email, NEW_PASSWORD).location == "/account"


def test_the_link_works_once(client, choose, reset_link, grace, stored_user):
    choose(reset_link)
    after_first = stored_user(grace.email).password_hash

    shown = client.get(reset_link)
    used_again = choose(reset_link, "another fresh passphrase 8")

    assert shown.status_code == 400
    assert "This link does not work" in shown.get_data(as_text=True)
    assert used_again.status_code == 400
    assert stored_user(grace.email).password_hash == after_first


def test_an_earlier_link_stops_working_once_a_later_one_is_used(
    client, choose, reset_link, post_form, outbox, grace
):
    post_form("/forgotten-password", {"email": grace.email})
    later = link_in(outbox[-1])

    choose(later)

    assert client.get(reset_link).status_code == 400


def test_an_expired_link_is_refused(
    app, client, choose, reset_link, grace, stored_user, monkeypatch
):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)

    shown = client.get(reset_link)
    submitted = choose(reset_link)

    assert shown.status_code == 400
    assert "This link has expired" in shown.get_data(as_text=True)
    assert submitted.status_code == 400
    assert check_password_hash(stored_user(grace.email).password_hash, TEST_PASSWORD)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(
            lambda link: link[:-4] + ("abcd" if not link.endswith("abcd") else "wxyz"),
            id="signature",
        ),
        pytest.param(
            lambda link: link.replace("/reset-password/", "/reset-password/x"), id="payload"
        ),
        pytest.param(lambda link: link.rsplit("/", 1)[0] + "/not-a-token", id="junk"),
    ],
)
def test_a_tampered_link_is_refused(client, choose, reset_link, grace, stored_user, spoil):
    shown = client.get(spoil(reset_link))
    submitted = choose(spoil(reset_link))

    assert shown.status_code == 400
    assert "This link does not work" in shown.get_data(as_text=True)
    assert submitted.status_code == 400
    assert check_password_hash(stored_user(grace.email).password_hash, TEST_PASSWORD)


def test_a_verification_link_is_not_a_reset_link(client, register, outbox):
    register()
    token = link_in(outbox[-1]).rsplit("/", 1)[1]

    assert client.get(f"/reset-password/{token}").status_code == 400


def test_resetting_signs_out_every_other_browser(grace, choose, reset_link, other_browser):
    elsewhere = other_browser(grace.email)
    remembered = other_browser(grace.email, remember="y")
    remembered.delete_cookie("session")
    assert remembered.get("/account").status_code == 200

    choose(reset_link)

    assert is_signed_out(elsewhere)
    assert is_signed_out(remembered)


def test_resetting_sends_a_password_changed_email(grace, choose, reset_link, outbox):
    outbox.clear()

    choose(reset_link)

    assert [(message.to, message.subject) for message in outbox] == [
        ([grace.email], PASSWORD_CHANGED)
    ]


def test_resetting_confirms_an_unverified_address(
    create_user, post_form, outbox, choose, stored_user
):
    person = create_user(verified=False)
    post_form("/forgotten-password", {"email": person.email})

    choose(link_in(outbox[-1]))

    assert stored_user(person.email).email_verified


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Enter a password"),
        ("short one", None, "Password must be 10 characters or more"),
        ("password123", None, "Choose a password that is harder to guess"),
        ("gracehopper", None, "Choose a password that is harder to guess"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "Passwords do not match"),
        (NEW_PASSWORD, "", "Confirm your new password"),
    ],
)
def test_the_new_password_must_follow_the_rules(
    client, choose, reset_link, grace, stored_user, outbox, password, confirm, message
):
    outbox.clear()

    response = choose(reset_link, password, confirm)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert check_password_hash(stored_user(grace.email).password_hash, TEST_PASSWORD)
    assert outbox == []
    assert client.get(reset_link).status_code == 200
