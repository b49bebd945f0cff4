"""Confirming an email address with the emailed link, and asking for a new one."""

from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from portal.accounts.models import RecoveryCode
from portal.clock import utcnow
from portal.extensions import db
from tests.accounts.helpers import is_signed_out, link_in
from tests.helpers import csrf_token


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


# --- an address registered by someone who may not own it --------------------------------------

ATTACKERS_PASSWORD = "borrowed mailbox ruse 13"
OWNERS_PASSWORD = "owner's own lantern 77"


def _register_in(app, browser, password: str, **fields):
    token = csrf_token(browser, "/register")
    return browser.post(
        "/register",
        data={
            "csrf_token": token,
            "name": "Ada Lovelace",
            "email": ADA,
            "organisation": "",
            "password": password,
            "password_confirm": password,
            **fields,
        },
    )


def _sign_in_in(browser, password: str):
    token = csrf_token(browser, "/sign-in")
    return browser.post("/sign-in", data={"csrf_token": token, "email": ADA, "password": password})


def _choose_password(browser, link: str, password: str, confirm: str | None = None):
    path = urlsplit(link).path
    token = csrf_token(browser, "/sign-in")  # the browser's token, whatever the link shows
    return browser.post(
        path,
        data={
            "csrf_token": token,
            "password": password,
            "password_confirm": password if confirm is None else confirm,
        },
    )


@pytest.fixture
def pre_registered(app, outbox):
    """Someone else registered Ada's address, with their own password, and is signed in with it
    in their own browser; returns that browser and the verification link sent to Ada."""
    intruder = app.test_client()
    _register_in(app, intruder, ATTACKERS_PASSWORD)
    assert _sign_in_in(intruder, ATTACKERS_PASSWORD).location == "/account"
    return intruder, link_in(outbox[0])


def test_the_first_registrants_password_does_not_survive_the_owners_verification(
    app, client, outbox, pre_registered, stored_user
):
    intruder, link = pre_registered
    _register_in(app, client, OWNERS_PASSWORD)  # Ada registers too: "you already have one"
    assert outbox[-1].subject == "You already have a Socitm Insight reports account"

    page = client.get(link)

    assert page.status_code == 200
    assert "Choose your password" in page.get_data(as_text=True)
    assert stored_user(ADA).email_verified_at is None
    chosen = _choose_password(client, link, OWNERS_PASSWORD)
    assert chosen.status_code == 302
    assert urlsplit(chosen.location).path == "/sign-in"
    assert stored_user(ADA).email_verified_at is not None
    assert is_signed_out(intruder)
    assert _sign_in_in(app.test_client(), ATTACKERS_PASSWORD).status_code == 200  # refused
    assert _sign_in_in(app.test_client(), OWNERS_PASSWORD).location == "/account"


def test_a_link_opened_in_a_browser_that_did_not_register_asks_for_a_password(
    app, pre_registered, stored_user
):
    _, link = pre_registered
    owner = app.test_client()

    page = owner.get(link)

    assert page.status_code == 200
    assert "Choose your password" in page.get_data(as_text=True)
    assert stored_user(ADA).email_verified_at is None
    _choose_password(owner, link, OWNERS_PASSWORD)
    assert _sign_in_in(app.test_client(), ATTACKERS_PASSWORD).status_code == 200  # refused


def test_the_chosen_password_must_follow_the_rules(app, pre_registered, stored_user):
    _, link = pre_registered
    owner = app.test_client()

    response = _choose_password(owner, link, "short one")

    assert response.status_code == 200
    assert "Password must be 10 characters or more" in response.get_data(as_text=True)
    assert stored_user(ADA).email_verified_at is None
    assert check_password_hash(stored_user(ADA).password_hash, ATTACKERS_PASSWORD)


def test_once_verified_the_link_sets_no_password(app, pre_registered, stored_user):
    _, link = pre_registered
    owner = app.test_client()
    _choose_password(owner, link, OWNERS_PASSWORD)

    again = app.test_client()
    assert again.get(link).status_code == 302
    response = _choose_password(again, link, "someone else's 123 pw")

    assert response.status_code == 302
    assert check_password_hash(stored_user(ADA).password_hash, OWNERS_PASSWORD)


def test_a_browser_that_registered_with_another_password_is_asked_too(
    app, client, pre_registered, stored_user
):
    """Ada's browser registered the address as well, but the account holds the first password."""
    _, link = pre_registered
    _register_in(app, client, OWNERS_PASSWORD)

    assert "Choose your password" in client.get(link).get_data(as_text=True)


def test_signed_in_as_someone_else_the_link_still_asks(app, client, auth, create_user, outbox):
    _register_in(app, app.test_client(), ATTACKERS_PASSWORD)
    link = link_in(outbox[0])
    auth.sign_in(create_user().email)

    assert "Choose your password" in client.get(link).get_data(as_text=True)


def test_two_factor_sign_in_set_up_with_the_old_password_is_turned_off(
    app, pre_registered, stored_user
):
    """Whoever registered could have added their own authenticator app: it goes with the old
    password, or the owner could not sign in."""
    _, link = pre_registered
    with app.app_context():
        user = db.session.merge(stored_user(ADA))
        user.totp_secret = pyotp.random_base32()
        user.totp_enabled_at = utcnow()
        db.session.add(RecoveryCode(user_id=user.id, code_hash="x"))
        db.session.commit()

    _choose_password(app.test_client(), link, OWNERS_PASSWORD)

    assert stored_user(ADA).totp_enabled_at is None
    assert stored_user(ADA).totp_secret is None
    assert _sign_in_in(app.test_client(), OWNERS_PASSWORD).location == "/account"
    with app.app_context():
        assert db.session.scalars(select(RecoveryCode)).all() == []
