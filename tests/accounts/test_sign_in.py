"""Signing in and out, "keep me signed in", and where ``next`` may lead."""

import pytest

from tests.accounts.helpers import input_values, is_signed_out, without

BAD_CREDENTIALS = "Enter a correct email address and password"


def test_sign_in_goes_to_the_account_page(client, auth, create_user, stored_user):
    person = create_user()

    response = auth.sign_in(person.email)

    assert response.status_code == 302
    assert response.location == "/account"
    assert client.get("/account").status_code == 200
    assert stored_user(person.email).last_signed_in_at is not None


def test_the_address_is_matched_whatever_its_case_and_spaces(client, auth, create_user):
    create_user(email="grace@example.gov.uk")

    response = auth.sign_in("  Grace@Example.GOV.UK ")

    assert response.location == "/account"


def test_an_unverified_person_can_sign_in(client, auth, create_user):
    person = create_user(verified=False)

    response = auth.sign_in(person.email)

    assert response.location == "/account"
    assert "Confirm your email address" in client.get("/account").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        pytest.param("nobody@example.gov.uk", "plum tractor lantern 42", id="unknown-address"),
        pytest.param("grace@example.gov.uk", "plum tractor lantern 43", id="wrong-password"),
        pytest.param("grace@example.gov.uk", "x" * 129, id="overlong-password"),
    ],
)
def test_wrong_details_are_refused_with_one_message(
    client, auth, create_user, stored_user, email, password
):
    create_user(email="grace@example.gov.uk")

    response = auth.sign_in(email, password)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert BAD_CREDENTIALS in page
    assert is_signed_out(client)
    assert stored_user("grace@example.gov.uk").last_signed_in_at is None


def test_an_unknown_address_and_a_wrong_password_look_the_same(app, create_user):
    create_user(email="grace@example.gov.uk")
    pages = {}
    for email in ["grace@example.gov.uk", "nobody@example.gov.uk"]:
        browser = app.test_client()
        token = input_values(browser.get("/sign-in").get_data(as_text=True))["csrf_token"]
        response = browser.post(
            "/sign-in", data={"csrf_token": token, "email": email, "password": "wrong password 1"}
        )
        pages[email] = (response.status_code, without(response.get_data(as_text=True), email))

    assert pages["grace@example.gov.uk"] == pages["nobody@example.gov.uk"]


def test_the_password_is_not_shown_again_after_a_failed_sign_in(auth, create_user):
    person = create_user()

    page = auth.sign_in(person.email, "wrong but secret 99").get_data(as_text=True)

    assert "wrong but secret 99" not in page
    assert input_values(page)["email"] == person.email


def test_sign_in_starts_a_new_session(client, auth, create_user):
    person = create_user()
    with client.session_transaction() as session:
        session["planted"] = "x"
    before = client.get_cookie("session").value

    auth.sign_in(person.email)

    assert client.get_cookie("session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_without_remember_me_there_is_no_remember_cookie(client, auth, create_user):
    auth.sign_in(create_user().email)

    assert client.get_cookie("remember_token") is None


def test_remember_me_keeps_the_browser_signed_in_after_the_session_ends(client, auth, create_user):
    auth.sign_in(create_user().email, remember="y")
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.http_only

    client.delete_cookie("session")

    assert client.get("/account").status_code == 200


def test_without_remember_me_the_browser_is_signed_out_when_the_session_ends(
    client, auth, create_user
):
    auth.sign_in(create_user().email)

    client.delete_cookie("session")

    assert is_signed_out(client)


@pytest.mark.parametrize(
    "target", ["/reports", "/reports/x?y=1", "/account", "/reports/%2F%2Fevil.example"]
)
def test_sign_in_follows_a_next_page_on_this_site(auth, create_user, target):
    response = auth.sign_in(create_user().email, next=target)

    assert response.location == target


OFF_SITE = [
    "https://evil.example/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " /x",
    "/\r\nLocation: https://evil.example",
    "/" + "a" * 2001,
]


def _on_this_site(location: str) -> bool:
    return (location.startswith("/") and not location.startswith(("//", "/\\"))) or (
        location.startswith("http://localhost/")
    )


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_ignores_a_next_page_elsewhere(auth, create_user, target):
    response = auth.sign_in(create_user().email, next=target)

    assert response.status_code == 302
    assert _on_this_site(response.location)
    assert response.location == "/account"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_sign_in_page_does_not_carry_a_next_page_elsewhere(client, target):
    page = client.get("/sign-in", query_string={"next": target}).get_data(as_text=True)

    assert input_values(page)["next"] in {None, ""}


def test_the_sign_in_page_carries_a_next_page_on_this_site(client):
    page = client.get("/sign-in", query_string={"next": "/reports/x?y=1"}).get_data(as_text=True)

    assert input_values(page)["next"] == "/reports/x?y=1"


@pytest.mark.parametrize(
    ("target", "expected"), [("/reports", "/reports"), *[(bad, "/account") for bad in OFF_SITE]]
)
def test_a_signed_in_person_visiting_sign_in_is_sent_on_safely(
    client, auth, create_user, target, expected
):
    auth.sign_in(create_user().email)

    response = client.get("/sign-in", query_string={"next": target})

    assert response.status_code == 302
    assert response.location == expected


def test_sign_out_is_not_a_link(client, auth, create_user):
    auth.sign_in(create_user().email)

    assert client.get("/sign-out").status_code == 405
    assert client.get("/account").status_code == 200


def test_sign_out_without_the_csrf_token_is_refused(client, auth, create_user):
    auth.sign_in(create_user().email)

    response = client.post("/sign-out")

    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)
    assert client.get("/account").status_code == 200


def test_sign_out_signs_out(client, auth, create_user):
    auth.sign_in(create_user().email)

    response = auth.sign_out()

    assert response.status_code == 302
    assert response.location == "/"
    account = client.get("/account")
    assert account.status_code == 302
    assert account.location == "/sign-in?next=%2Faccount"


def test_sign_out_ends_remember_me(client, auth, create_user):
    auth.sign_in(create_user().email, remember="y")

    auth.sign_out()

    assert client.get_cookie("remember_token") is None
    assert is_signed_out(client)


def test_sign_out_in_one_browser_leaves_another_signed_in(client, auth, create_user, other_browser):
    person = create_user()
    elsewhere = other_browser(person.email)
    auth.sign_in(person.email)

    auth.sign_out()

    assert elsewhere.get("/account").status_code == 200
