"""Someone made an administrator from a plain account confirms it by a signed, time-limited link
emailed to them before the administration pages, or the two-factor set-up they lead to, open.
Until then /admin says to check their email, and offers to send the link again."""

import re

import pyotp
import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.second_factor import is_verified_administrator
from portal.audit.models import AuditEntry
from portal.clock import utcnow
from portal.extensions import db
from tests.helpers import csrf_token, sign_in_without_a_code

CONFIRM_PAGE = "/account/administrator"
CHECK_EMAIL = "Check your email to confirm you are an administrator"
STRONG = "violet compass harbour 7"


def confirmation_links(outbox, user) -> list[str]:
    found = []
    for message in outbox:
        if message.to == [user.email] and "administrator" in message.subject.lower():
            found += re.findall(r"https?://\S+/account/administrator/confirm/\S+", message.body)
    return found


def audit_actions(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.target_id == str(user_id))
                .order_by(AuditEntry.id)
            )
        )


def stored(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


@pytest.fixture
def promoted(app, client, admin, create_user, post_form, outbox, auth):
    """A plain account made an administrator by ``admin`` on /admin/users; then ``admin`` signs
    out, and the promoted person is returned (not signed in)."""

    def promote(**overrides):
        person = create_user(email="jo@leeds.gov.uk", **overrides)
        post_form(f"/admin/users/{person.id}/make-admin", {}, form_page="/admin/users")
        auth.sign_out()
        return person

    return promote


def test_a_promoted_person_must_confirm_before_setting_up_two_factor(
    app, client, auth, promoted, outbox
):
    person = promoted()
    assert stored(app, person.id).is_admin
    assert stored(app, person.id).admin_confirmed_at is None
    [link] = confirmation_links(outbox, person)

    auth.sign_in(person.email)
    response = client.get("/admin/dashboard")
    assert response.headers["Location"] == CONFIRM_PAGE
    assert CHECK_EMAIL in client.get(CONFIRM_PAGE).get_data(as_text=True)
    # The set-up page the administration pages lead to is closed too: no secret is made.
    assert client.get("/account/two-factor").headers["Location"] == CONFIRM_PAGE
    assert stored(app, person.id).totp_secret_sealed is None

    confirmed = client.get(link)
    assert confirmed.headers["Location"] == "/account/two-factor"
    assert stored(app, person.id).admin_confirmed_at is not None
    assert "user.confirm_admin" in audit_actions(app, person.id)
    assert client.get("/admin/dashboard").headers["Location"] == "/account/two-factor"
    assert "otpauth://" in client.get("/account/two-factor").get_data(as_text=True)


def test_a_promoted_person_who_already_had_two_factor_must_still_confirm(
    app, client, auth, promoted, outbox
):
    person = promoted(totp_secret=pyotp.random_base32(), totp_enabled_at=utcnow())
    auth.sign_in(person.email)  # with a code: the session has proved its second factor
    assert client.get("/admin/orders").headers["Location"] == CONFIRM_PAGE
    with app.test_request_context():
        assert not is_verified_administrator(db.session.get(User, person.id))
    client.get(confirmation_links(outbox, person)[0])
    assert client.get("/admin/orders").status_code == 200


def test_the_link_can_be_sent_again(app, client, auth, promoted, outbox):
    person = promoted()
    auth.sign_in(person.email)
    token = csrf_token(client, CONFIRM_PAGE)
    response = client.post(CONFIRM_PAGE, data={"csrf_token": token})
    assert response.headers["Location"] == CONFIRM_PAGE
    assert len(confirmation_links(outbox, person)) == 2


@pytest.mark.parametrize("how", ["tampered", "expired", "no longer administrator"])
def test_a_bad_link_confirms_nothing(app, client, auth, promoted, outbox, monkeypatch, how):
    person = promoted()
    [link] = confirmation_links(outbox, person)
    if how == "tampered":
        link = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
    elif how == "expired":
        monkeypatch.setitem(app.config, "ADMIN_CONFIRMATION_MAX_AGE", -1)
    else:
        with app.app_context():
            db.session.get(User, person.id).is_admin = False
            db.session.commit()
    response = client.get(link)
    assert response.status_code == 400
    assert stored(app, person.id).admin_confirmed_at is None


def test_a_link_for_one_person_does_not_confirm_another(app, client, promoted, outbox):
    person = promoted()
    [link] = confirmation_links(outbox, person)
    with app.app_context():
        db.session.get(User, person.id).email = "someone.else@leeds.gov.uk"
        db.session.commit()
    assert client.get(link).status_code == 400
    assert stored(app, person.id).admin_confirmed_at is None


def test_removing_and_granting_again_asks_for_confirmation_again(
    app, client, admin, create_user, post_form, outbox
):
    other = create_user(email="jo@leeds.gov.uk", is_admin=True)  # confirmed already
    post_form(f"/admin/users/{other.id}/remove-admin", {}, form_page="/admin/users")
    assert stored(app, other.id).admin_confirmed_at is None
    post_form(f"/admin/users/{other.id}/make-admin", {}, form_page="/admin/users")
    assert stored(app, other.id).admin_confirmed_at is None
    assert len(confirmation_links(outbox, other)) == 1


def test_people_who_are_not_administrators_have_nothing_to_confirm(client, auth, create_user):
    auth.sign_in(create_user().email)
    assert client.get(CONFIRM_PAGE).headers["Location"] == "/account"


# The console: flask create-admin


def test_create_admin_promoting_a_plain_account_asks_them_to_confirm(
    app, client, auth, runner, create_user, outbox
):
    person = create_user(email="grace@example.gov.uk")
    result = runner.invoke(args=["create-admin", person.email])
    assert result.exit_code == 0, result.output
    assert "must confirm by email" in result.output
    assert stored(app, person.id).admin_confirmed_at is None
    assert audit_actions(app, person.id) == ["user.make_admin"]
    # The link goes out at once, built from the configured address like every emailed link.
    [link] = confirmation_links(outbox, person)
    assert link.startswith(app.config["PUBLIC_URL"])
    auth.sign_in(person.email)
    assert client.get("/admin/dashboard").headers["Location"] == CONFIRM_PAGE
    client.get(link)
    assert stored(app, person.id).admin_confirmed_at is not None


def test_create_admin_making_a_new_account_needs_no_emailed_confirmation(app, runner, outbox):
    result = runner.invoke(args=["create-admin", "boss@socitm.example"], input=f"{STRONG}\n" * 2)
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@socitm.example"))
        assert user.admin_confirmed_at is not None
        user_id = user.id
    assert outbox == []
    assert audit_actions(app, user_id) == ["user.create_admin"]


def test_a_remembered_session_of_an_unconfirmed_administrator_is_not_let_in(
    app, client, promoted, outbox
):
    person = promoted()
    sign_in_without_a_code(app, client, person)
    assert client.get("/admin/dashboard").headers["Location"] == CONFIRM_PAGE
