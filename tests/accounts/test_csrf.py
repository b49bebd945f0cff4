"""Every accounts form refuses a POST without this browser's CSRF token, and changes nothing."""

import pytest
from werkzeug.security import check_password_hash

from tests.accounts.helpers import input_values, link_in
from tests.helpers import TEST_PASSWORD

NEW_PASSWORD = "violet compass harbour 7"
REFUSED = "Your form could not be sent"


@pytest.fixture(params=["no-token", "forged-token"])
def token(request):
    """What a forged form sends: nothing, or a token that is not this session's."""
    return {} if request.param == "no-token" else {"csrf_token": "IjEyMyI.abc.def"}


def _refused(response) -> bool:
    return response.status_code == 400 and REFUSED in response.get_data(as_text=True)


def test_register(client, registration, token, user_count, outbox):
    client.get("/register")

    response = client.post("/register", data={**registration(), **token})

    assert _refused(response)
    assert user_count() == 0
    assert outbox == []


def test_sign_in(client, create_user, token, stored_user):
    person = create_user()
    client.get("/sign-in")

    response = client.post(
        "/sign-in", data={"email": person.email, "password": TEST_PASSWORD, **token}
    )

    assert _refused(response)
    assert client.get("/account").status_code == 302
    assert stored_user(person.email).last_signed_in_at is None


def test_forgotten_password(client, create_user, token, outbox):
    person = create_user()
    client.get("/forgotten-password")

    response = client.post("/forgotten-password", data={"email": person.email, **token})

    assert _refused(response)
    assert outbox == []


def test_reset_password(client, create_user, post_form, outbox, token, stored_user):
    person = create_user()
    post_form("/forgotten-password", {"email": person.email})
    link = link_in(outbox.pop())

    response = client.post(
        link, data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, **token}
    )

    assert _refused(response)
    assert check_password_hash(stored_user(person.email).password_hash, TEST_PASSWORD)
    assert outbox == []
    assert client.get(link).status_code == 200


def test_change_password(client, auth, create_user, token, stored_user, outbox):
    person = create_user()
    auth.sign_in(person.email)

    response = client.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            **token,
        },
    )

    assert _refused(response)
    assert stored_user(person.email).password_hash == person.password_hash
    assert outbox == []


def test_resend_verification(client, auth, create_user, token, outbox):
    auth.sign_in(create_user(verified=False).email)

    response = client.post("/account/verify-email", data=token)

    assert _refused(response)
    assert outbox == []


def test_sign_out(client, auth, create_user, token):
    auth.sign_in(create_user().email)

    response = client.post("/sign-out", data=token)

    assert _refused(response)
    assert client.get("/account").status_code == 200


def test_a_token_from_another_browser_is_refused(app, client, registration, user_count):
    other = app.test_client()
    stolen = input_values(other.get("/register").get_data(as_text=True))["csrf_token"]
    client.get("/register")

    response = client.post("/register", data={**registration(), "csrf_token": stolen})

    assert _refused(response)
    assert user_count() == 0
