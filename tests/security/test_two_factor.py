"""Two-factor sign-in: setting it up, signing in with an app code or a recovery code, and the
rule that administrators reach /admin only with a second factor."""

import re

import pyotp
from sqlalchemy import select
from werkzeug.security import check_password_hash

from portal.accounts import two_factor
from portal.accounts.models import RecoveryCode, User
from portal.extensions import db
from tests.helpers import TEST_PASSWORD, csrf_token, sign_in_without_a_code
from tests.security.helpers import TOTP_SECRET, app_code, stored_secret

CODE_PAGE = "/sign-in/two-factor"
SECRET = TOTP_SECRET


def _user(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


_code = app_code


def _password_step(post_form, user, **extra):
    return post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD, **extra})


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


# --- setting up ---------------------------------------------------------------------------


def test_set_up_refuses_a_wrong_code_then_shows_recovery_codes_once(
    app, client, auth, post_form, create_user
):
    user = create_user()
    auth.sign_in(user.email)
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = stored_secret(app, user.id)
    assert secret and " ".join(re.findall(".{1,4}", secret)) in page
    assert "otpauth://totp/" in page and "<svg" in page
    assert 'style="' not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: no inline style

    wrong = post_form("/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 200
    assert "govuk-error-summary" in wrong.get_data(as_text=True)
    assert _user(app, user.id).totp_enabled_at is None

    right = post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert right.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", right.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert _user(app, user.id).totp_enabled_at is not None
    with app.app_context():
        hashes = db.session.scalars(
            select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
        ).all()
    assert len(hashes) == 10
    assert not any(code.replace("-", "") in stored for code in codes for stored in hashes)
    assert any(check_password_hash(stored, codes[0].replace("-", "")) for stored in hashes)
    # Never shown again: the page now only says how many are left.
    again = client.get("/account/two-factor").get_data(as_text=True)
    assert codes[0] not in again and "10 unused" in again


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(
    app, client, auth, post_form, two_factor_user
):
    user, old_codes = two_factor_user()
    auth.sign_in(user.email)
    path = "/account/two-factor/recovery-codes"
    assert "govuk-error-summary" in post_form(path, {"code": "123456"}).get_data(as_text=True)
    fresh = post_form(path, {"code": _code(1)}).get_data(as_text=True)
    new_codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", fresh)
    assert len(new_codes) == 10
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert not two_factor.use_recovery_code(stored, old_codes[0])
        assert two_factor.use_recovery_code(stored, new_codes[0])


# --- signing in ---------------------------------------------------------------------------


def test_a_correct_password_is_not_enough(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    response = _password_step(post_form, user)
    assert response.headers["Location"] == CODE_PAGE
    assert not _signed_in(client)


def test_signing_in_with_an_app_code_goes_on_to_next(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user, next="/basket")
    response = post_form(CODE_PAGE, {"code": _code()})
    assert response.status_code == 302 and response.headers["Location"] == "/basket"
    assert _signed_in(client)


def test_an_unsafe_next_is_dropped(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user, next="//evil.example/")
    response = post_form(CODE_PAGE, {"code": _code()})
    assert response.headers["Location"] == "/account"


def test_the_remember_choice_survives_the_code_step(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user, remember="y")
    response = post_form(CODE_PAGE, {"code": _code()})
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_a_recovery_code_works_once(client, auth, post_form, two_factor_user):
    user, codes = two_factor_user()
    _password_step(post_form, user)
    assert post_form(CODE_PAGE, {"code": codes[3].upper()}).status_code == 302
    assert _signed_in(client)
    auth.sign_out()
    _password_step(post_form, user)
    again = post_form(CODE_PAGE, {"code": codes[3]})
    assert again.status_code == 200 and "Enter a correct code" in again.get_data(as_text=True)
    assert not _signed_in(client)


def test_a_code_cannot_be_used_twice(client, auth, post_form, two_factor_user):
    user, _ = two_factor_user()
    code = _code()
    _password_step(post_form, user)
    assert post_form(CODE_PAGE, {"code": code}).status_code == 302
    auth.sign_out()
    _password_step(post_form, user)
    assert post_form(CODE_PAGE, {"code": code}).status_code == 200
    # Nor an older one from the window, once a later step was used.
    assert post_form(CODE_PAGE, {"code": _code(-1)}).status_code == 200
    assert not _signed_in(client)


def test_a_wrong_code_shows_the_error_summary(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user)
    page = post_form(CODE_PAGE, {"code": "12345x"}).get_data(as_text=True)
    assert "govuk-error-summary" in page and "<title>Error: " in page


def test_five_wrong_codes_send_the_person_back_to_the_password(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user)
    for _ in range(4):
        assert post_form(CODE_PAGE, {"code": "000000"}).status_code == 200
    response = post_form(CODE_PAGE, {"code": "000000"})
    assert response.headers["Location"] == "/sign-in"
    # The pending sign-in is gone: even the right code no longer helps.
    assert client.get(CODE_PAGE).headers["Location"] == "/sign-in"
    assert not _signed_in(client)


def test_the_pending_sign_in_expires(client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user)
    with client.session_transaction() as session:
        session["two_factor_pending"] = {**session["two_factor_pending"], "until": 0}
    token = csrf_token(client, "/sign-in")
    response = client.post(CODE_PAGE, data={"csrf_token": token, "code": _code()})
    assert response.headers["Location"] == "/sign-in"
    assert "timed out" in client.get("/sign-in").get_data(as_text=True)
    assert not _signed_in(client)


def test_a_password_reset_ends_a_pending_sign_in(app, client, post_form, two_factor_user):
    user, _ = two_factor_user()
    _password_step(post_form, user)
    with app.app_context():
        db.session.get(User, user.id).session_token = "replaced"
        db.session.commit()
    token = csrf_token(client, "/sign-in")
    client.post(CODE_PAGE, data={"csrf_token": token, "code": _code()})
    assert not _signed_in(client)


def test_people_without_two_factor_sign_in_as_before(client, auth, create_user):
    response = auth.sign_in(create_user().email)
    assert response.headers["Location"] == "/account"
    assert client.get(CODE_PAGE).headers["Location"] == "/account"


# --- administrators -----------------------------------------------------------------------


def _admin_pages(app):
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods and "<" not in rule.rule
    )


def test_an_administrator_without_two_factor_is_sent_to_set_it_up(app, client, auth, create_user):
    admin = create_user(is_admin=True, totp_enabled_at=None)
    assert auth.sign_in(admin.email).headers["Location"] == "/account"
    pages = _admin_pages(app)
    assert "/admin/dashboard" in pages and len(pages) >= 5
    for path in pages:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Administrators must set up two-factor sign-in" in page


def test_an_administrator_who_sets_it_up_gets_in(app, client, auth, post_form, create_user):
    admin = create_user(is_admin=True, totp_enabled_at=None)
    auth.sign_in(admin.email)
    client.get("/account/two-factor")
    secret = stored_secret(app, admin.id)
    post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert client.get("/admin/dashboard").status_code == 200


def test_an_administrator_signed_in_with_a_code_gets_in(client, auth, create_user):
    response = auth.sign_in(create_user(is_admin=True).email)
    assert response.headers["Location"] == "/account"
    assert client.get("/admin/dashboard").status_code == 200


def test_a_session_without_the_second_factor_is_asked_for_a_code(app, client, create_user):
    """A "remember me" return (or a session made any other way) has not proved the code."""
    admin = create_user(is_admin=True)
    sign_in_without_a_code(app, client, admin)
    response = client.get("/admin/orders")
    assert response.headers["Location"].startswith(CODE_PAGE + "?next=")
    wrong = client.post(
        response.headers["Location"],
        data={"csrf_token": csrf_token(client, CODE_PAGE), "code": "000000"},
    )
    assert wrong.status_code == 200
    right = client.post(
        response.headers["Location"],
        data={
            "csrf_token": csrf_token(client, CODE_PAGE),
            "code": _code(secret=_secret(app, admin)),
        },
    )
    assert right.headers["Location"].startswith("/admin/orders")
    assert client.get("/admin/orders").status_code == 200


def _secret(app, user) -> str:
    return stored_secret(app, user.id)


# --- turning it off -----------------------------------------------------------------------


def test_turning_off_needs_the_password_and_a_code(app, client, auth, post_form, two_factor_user):
    user, _ = two_factor_user()
    auth.sign_in(user.email)  # uses a code from step 0
    path = "/account/two-factor/turn-off"
    wrong_password = post_form(path, {"password": "not my password", "code": _code(1)})
    assert "govuk-error-summary" in wrong_password.get_data(as_text=True)
    assert two_factor.is_enabled(_user(app, user.id))
    wrong_code = post_form(path, {"password": TEST_PASSWORD, "code": "000000"})
    assert wrong_code.status_code == 200
    response = post_form(path, {"password": TEST_PASSWORD, "code": _code(1)})
    assert response.headers["Location"] == "/account"
    stored = _user(app, user.id)
    assert stored.totp_secret is None and stored.totp_enabled_at is None
    with app.app_context():
        assert two_factor.recovery_codes_left(stored) == 0


def test_administrators_cannot_turn_it_off(app, client, auth, create_user):
    admin = create_user(is_admin=True)
    auth.sign_in(admin.email)
    page = client.get("/account/two-factor/turn-off").get_data(as_text=True)
    assert (
        "Administrators must keep two-factor sign-in on" in page and 'name="password"' not in page
    )
    token = csrf_token(client, "/account")
    response = client.post(
        "/account/two-factor/turn-off",
        data={
            "csrf_token": token,
            "password": TEST_PASSWORD,
            "code": _code(1, _secret(app, admin)),
        },
    )
    assert response.status_code == 403
    assert two_factor.is_enabled(_user(app, admin.id))
