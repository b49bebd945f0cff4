"""The account page: only for the person signed in, showing their details."""

from urllib.parse import parse_qs, urlsplit

from tests.accounts.helpers import is_signed_out


def test_the_account_page_needs_sign_in(client):
    response = client.get("/account")

    assert response.status_code == 302
    assert response.location == "/sign-in?next=%2Faccount"
    assert is_signed_out(client)


def test_signing_in_from_there_comes_back_to_the_account_page(client, auth, create_user):
    person = create_user()
    location = urlsplit(client.get("/account").location)

    response = auth.sign_in(person.email, next=parse_qs(location.query)["next"][0])

    assert response.location == "/account"


def test_the_account_page_shows_the_persons_details(client, auth, create_user):
    person = create_user(
        name="Grace Hopper", email="grace@example.gov.uk", organisation_name="Leeds City Council"
    )
    auth.sign_in(person.email)

    page = client.get("/account").get_data(as_text=True)

    assert "Grace Hopper" in page
    assert "grace@example.gov.uk (confirmed)" in page
    assert "Leeds City Council" in page
    assert "Confirm your email address" not in page


def test_the_account_page_escapes_what_people_typed(client, auth, create_user):
    person = create_user(name="<script>alert(1)</script>", organisation_name="Smith & Sons")
    auth.sign_in(person.email)

    page = client.get("/account").get_data(as_text=True)

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Smith &amp; Sons" in page


def test_an_unverified_person_is_asked_to_confirm_their_address(client, auth, create_user):
    person = create_user(verified=False)
    auth.sign_in(person.email)

    page = client.get("/account").get_data(as_text=True)

    assert "Confirm your email address" in page
    assert f"{person.email} (not confirmed yet)" in page
    assert 'action="/account/verify-email"' in page


def test_an_organisation_left_blank_says_so(client, auth, create_user):
    auth.sign_in(create_user(organisation_name="").email)

    assert "Not given" in client.get("/account").get_data(as_text=True)
