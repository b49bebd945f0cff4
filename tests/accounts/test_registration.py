"""Registering: who gets an account, what is stored, what is sent, and what is refused."""

import pytest
from werkzeug.security import check_password_hash

from tests.accounts.helpers import input_values, link_in, without
from tests.helpers import TEST_PASSWORD


def test_register_creates_an_unverified_user_with_a_normalised_address(register, stored_user):
    response = register(email="  Ada.Lovelace@Example.GOV.uk  ")

    assert response.status_code == 302
    assert response.location == "/register/check-your-email"
    user = stored_user("ada.lovelace@example.gov.uk")
    assert user is not None
    assert user.email_verified_at is None
    assert user.name == "Ada Lovelace"
    assert user.organisation_name == "Example Borough Council"
    assert not user.is_admin


def test_register_stores_a_werkzeug_hash_never_the_password(register, stored_user):
    register()

    stored = stored_user("ada.lovelace@example.gov.uk").password_hash
    assert TEST_PASSWORD not in stored
    assert stored.startswith(("pbkdf2:", "scrypt:"))
    assert check_password_hash(stored, TEST_PASSWORD)


def test_register_emails_a_verification_link_to_the_new_address(register, outbox):
    register(email="Ada.Lovelace@example.gov.uk")

    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == ["ada.lovelace@example.gov.uk"]
    assert "Confirm your email address" in message.subject
    assert link_in(message).startswith("http://localhost/verify-email/")


def test_check_your_email_page_names_the_address(client, register):
    register(email="Ada.Lovelace@example.gov.uk")

    page = client.get("/register/check-your-email")

    assert page.status_code == 200
    assert "ada.lovelace@example.gov.uk" in page.get_data(as_text=True)


def test_check_your_email_without_registering_goes_to_the_form(client):
    response = client.get("/register/check-your-email")

    assert response.status_code == 302
    assert response.location == "/register"


def test_a_signed_in_person_is_sent_from_register_to_their_account(client, auth, create_user):
    auth.sign_in(create_user().email)

    response = client.get("/register")

    assert response.status_code == 302
    assert response.location == "/account"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"name": ""}, "Enter your full name", id="no-name"),
        pytest.param({"name": "   "}, "Enter your full name", id="blank-name"),
        pytest.param({"email": ""}, "Enter your email address", id="no-email"),
        pytest.param(
            {"email": "ada.example.gov.uk"},
            "Enter an email address in the correct format",
            id="email-without-at",
        ),
        pytest.param(
            {"email": "ada@"}, "Enter an email address in the correct format", id="email-no-domain"
        ),
        pytest.param(
            {"email": "ada lovelace@example.gov.uk"},
            "Enter an email address in the correct format",
            id="email-with-space",
        ),
        pytest.param(
            {"password": "", "password_confirm": ""}, "Enter a password", id="no-password"
        ),
        pytest.param({"password_confirm": ""}, "Confirm your password", id="no-confirmation"),
        pytest.param(
            {"name": "A" * 201}, "Full name must be 200 characters or fewer", id="name-201"
        ),
        pytest.param(
            {"email": "a" * 64 + "@" + ("b" * 61 + ".") * 3 + "gov.uk"},
            "Email address must be 254 characters or fewer",
            id="email-257",
        ),
        pytest.param(
            {"organisation": "O" * 201},
            "Organisation must be 200 characters or fewer",
            id="organisation-201",
        ),
        pytest.param(
            {"password": "long words " * 12, "password_confirm": "long words " * 12},
            "Password must be 128 characters or fewer",
            id="password-132",
        ),
        pytest.param(
            {"password": "kite pear", "password_confirm": "kite pear"},
            "Password must be 10 characters or more",
            id="password-9",
        ),
        pytest.param(
            {"password": "password123", "password_confirm": "password123"},
            "Choose a password that is harder to guess",
            id="common-password123",
        ),
        pytest.param(
            {"password": "qwertyuiop", "password_confirm": "qwertyuiop"},
            "Choose a password that is harder to guess",
            id="common-qwertyuiop",
        ),
        pytest.param(
            {
                "email": "quartermaster.bellingham@example.gov.uk",
                "password": "quartermaster.bellingham",
                "password_confirm": "quartermaster.bellingham",
            },
            "Choose a password that is harder to guess",
            id="password-is-own-email",
        ),
        pytest.param(
            {
                "name": "Gwendolyn Fairweather",
                "password": "gwendolynfairweather",
                "password_confirm": "gwendolynfairweather",
            },
            "Choose a password that is harder to guess",
            id="password-is-own-name",
        ),
        pytest.param(
            {"password_confirm": TEST_PASSWORD + "!"}, "Passwords do not match", id="mismatch"
        ),
    ],
)
def test_register_refuses_and_redisplays_the_form(
    register, registration, user_count, outbox, overrides, message
):
    response = register(**overrides)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert message in page
    assert "<title>Error: " in page
    submitted = registration(**overrides)
    values = input_values(page)
    assert values["name"] == submitted["name"].strip()
    assert values["email"] == submitted["email"].strip()
    assert values["organisation"] == submitted["organisation"]
    assert not values.get("password")
    assert not values.get("password_confirm")
    assert user_count() == 0
    assert outbox == []


def test_the_password_is_never_shown_again(register):
    secret = "unguessable mongoose harbour"

    page = register(name="", password=secret, password_confirm=secret).get_data(as_text=True)

    assert "Enter your full name" in page
    assert secret not in page


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(
            {"password": "Xq7#mv2!Lp", "password_confirm": "Xq7#mv2!Lp"}, id="password-10"
        ),
        pytest.param({"name": "N" * 200}, id="name-200"),
        pytest.param({"organisation": "O" * 200}, id="organisation-200"),
        pytest.param({"email": "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "gov.uk"}, id="email-254"),
        pytest.param({"organisation": ""}, id="no-organisation"),
    ],
)
def test_register_accepts_values_at_the_limits(register, registration, stored_user, overrides):
    response = register(**overrides)

    assert response.status_code == 302
    assert stored_user(registration(**overrides)["email"]) is not None


def test_registering_an_existing_address_looks_the_same_and_creates_nothing(
    client, register, create_user, stored_user, user_count
):
    owner = create_user(email="taken@example.gov.uk", name="Grace Hopper")

    response = register(email="  Taken@Example.gov.uk ", name="Someone Else")

    assert response.status_code == 302
    assert response.location == "/register/check-your-email"
    assert user_count() == 1
    assert stored_user(owner.email).name == "Grace Hopper"
    assert stored_user(owner.email).password_hash == owner.password_hash
    page = client.get(response.location).get_data(as_text=True)
    assert "taken@example.gov.uk" in page


def test_registering_an_existing_address_emails_only_its_owner(register, create_user, outbox):
    owner = create_user(email="taken@example.gov.uk")

    register(email="taken@example.gov.uk")

    assert len(outbox) == 1
    assert outbox[0].to == [owner.email]
    assert outbox[0].subject == "You already have a Socitm Insight reports account"
    assert "/verify-email/" not in outbox[0].body


def test_new_and_existing_addresses_get_the_same_page(client, register, create_user):
    create_user(email="taken@example.gov.uk")

    existing = register(email="taken@example.gov.uk")
    existing_page = client.get(existing.location).get_data(as_text=True)
    new = register(email="fresh@example.gov.uk")
    new_page = client.get(new.location).get_data(as_text=True)

    assert existing.status_code == new.status_code == 302
    assert existing.location == new.location
    assert without(existing_page, "taken@example.gov.uk") == without(
        new_page, "fresh@example.gov.uk"
    )
