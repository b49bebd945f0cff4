"""Confirming an email address with the emailed link, and asking for a new one."""

from urllib.parse import parse_qs, urlsplit

import pytest

from portal.extensions import db
from tests.accounts.helpers import link_in


@pytest.fixture
def emailed_link(register, outbox):
    """Register Ada and return the verification link her email carries."""
    register()
    return link_in(outbox[-1])


ADA = "ada.lovelace@example.gov.uk"


def test_the_emailed_link_verifies_the_address(client, emailed_link, stored_user):
    response = client.get(emailed_link)

    assert response.status_code == 302
    location = urlsplit(response.location)
    assert (location.path, parse_qs(location.query)) == ("/sign-in", {"email": [ADA]})
    assert stored_user(ADA).email_verified_at is not None
    page = client.get(response.location).get_data(as_text=True)
    assert "Your email address is verified." in page


def test_verifying_twice_is_harmless(client, emailed_link, stored_user):
    client.get(emailed_link)
    first = stored_user(ADA).email_verified_at

    again = client.get(emailed_link)

    assert again.status_code == 302
    assert stored_user(ADA).email_verified_at == first


def test_a_signed_in_person_goes_back_to_their_account(client, auth, emailed_link, stored_user):
    auth.sign_in(ADA)

    response = client.get(emailed_link)

    assert response.location == "/account"
    assert stored_user(ADA).email_verified


def _tampered(link: str) -> str:
    token = link.rsplit("/", 1)[1]
    payload, rest = token.split(".", 1)
    return link.replace(token, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest)


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_tampered, id="tampered-payload"),
        pytest.param(
            lambda link: link[:-3] + ("xyz" if not link.endswith("xyz") else "abc"),
            id="tampered-signature",
        ),
        pytest.param(lambda link: link.rsplit("/", 1)[0] + "/not-a-token", id="junk"),
    ],
)
def test_a_spoilt_link_is_refused(client, emailed_link, stored_user, spoil):
    response = client.get(spoil(emailed_link))

    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert stored_user(ADA).email_verified_at is None


def test_an_expired_link_is_refused(app, client, emailed_link, stored_user, monkeypatch):
    monkeypatch.setitem(app.config, "EMAIL_VERIFICATION_MAX_AGE", -1)

    response = client.get(emailed_link)

    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    assert stored_user(ADA).email_verified_at is None


def test_a_link_for_an_old_address_does_not_verify_the_new_one(
    app, client, emailed_link, stored_user
):
    with app.app_context():
        user = db.session.merge(stored_user(ADA))
        user.email = "ada@new.example.gov.uk"
        db.session.commit()

    response = client.get(emailed_link)

    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
    assert stored_user("ada@new.example.gov.uk").email_verified_at is None


def test_a_link_for_a_deleted_account_is_refused(app, client, emailed_link, stored_user):
    with app.app_context():
        db.session.delete(db.session.merge(stored_user(ADA)))
        db.session.commit()

    assert client.get(emailed_link).status_code == 400


def test_resend_emails_a_new_link_that_works(
    client, auth, post_form, create_user, outbox, stored_user
):
    person = create_user(verified=False)
    auth.sign_in(person.email)

    response = post_form("/account/verify-email", {}, form_page="/account")

    assert response.status_code == 302
    assert response.location == "/account"
    assert [message.to for message in outbox] == [[person.email]]
    assert f"We have sent a new link to {person.email}" in client.get("/account").get_data(
        as_text=True
    )
    client.get(link_in(outbox[0]))
    assert stored_user(person.email).email_verified


def test_resend_sends_nothing_once_verified(client, auth, post_form, create_user, outbox):
    person = create_user()
    auth.sign_in(person.email)

    response = post_form("/account/verify-email", {}, form_page="/account")

    assert response.status_code == 302
    assert outbox == []


def test_resend_needs_sign_in(client, post_form, outbox):
    response = post_form("/account/verify-email", {}, form_page="/sign-in")

    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")
    assert outbox == []


def test_resend_by_get_sends_nothing(client, auth, create_user, outbox):
    auth.sign_in(create_user(verified=False).email)

    response = client.get("/account/verify-email")

    assert response.status_code in {400, 405}
    assert outbox == []
