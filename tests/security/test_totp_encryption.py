"""TOTP secrets are sealed at rest with TOTP_ENCRYPTION_KEY: the database holds no plain secret,
sign-in still works, keys can be rotated, and a wrong key is a clear error, never a way round
the second factor."""

import pyotp
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from config import DEMO_TOTP_ENCRYPTION_KEY, production_problems, settings_problems
from portal import secret_box
from portal.extensions import db
from tests.helpers import TEST_PASSWORD
from tests.security.helpers import TOTP_SECRET, app_code, stored_secret

CODE_PAGE = "/sign-in/two-factor"
OTHER_KEY = Fernet.generate_key().decode()


def stored_column(app, user_id: int) -> str | None:
    with app.app_context():
        return db.session.execute(
            text("SELECT totp_secret_sealed FROM users WHERE id = :id"), {"id": user_id}
        ).scalar_one()


def test_the_database_holds_no_plain_secret_and_sign_in_still_works(
    app, client, auth, post_form, create_user
):
    user = create_user()
    auth.sign_in(user.email)
    client.get("/account/two-factor")
    secret = stored_secret(app, user.id)
    assert post_form("/account/two-factor", {"code": pyotp.TOTP(secret).now()}).status_code == 200
    column = stored_column(app, user.id)
    assert column.startswith("fernet:")
    assert secret not in column and secret.lower() not in column.lower()
    auth.sign_out()
    response = auth.sign_in(user.email)  # the code step reads the secret back
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("who", ["customer", "administrator"])
def test_a_wrong_key_stops_sign_in_with_a_clear_error(
    app, client, post_form, create_user, two_factor_user, monkeypatch, who
):
    user = create_user(is_admin=True) if who == "administrator" else two_factor_user()[0]
    secret = stored_secret(app, user.id)
    before = stored_column(app, user.id)
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEY", OTHER_KEY)
    post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    response = post_form(CODE_PAGE, {"code": app_code(secret=secret)})
    assert response.status_code == 503
    assert "Two-factor sign-in is not working" in response.get_data(as_text=True)
    assert client.get("/account").status_code != 200
    assert client.get("/admin/dashboard").status_code != 200
    assert stored_column(app, user.id) == before  # nothing replaced, nothing turned off


def test_a_wrong_key_does_not_let_a_half_set_up_secret_be_replaced(
    app, client, auth, create_user, monkeypatch
):
    user = create_user()
    auth.sign_in(user.email)
    client.get("/account/two-factor")
    before = stored_column(app, user.id)
    monkeypatch.setitem(app.config, "TOTP_ENCRYPTION_KEY", OTHER_KEY)
    assert client.get("/account/two-factor").status_code == 503
    assert stored_column(app, user.id) == before


def test_a_rotated_key_still_opens_old_secrets_and_seals_them_again(
    app, auth, two_factor_user, monkeypatch
):
    user, _ = two_factor_user()  # sealed with the demo key
    monkeypatch.setitem(
        app.config, "TOTP_ENCRYPTION_KEY", f"{OTHER_KEY},{app.config['TOTP_ENCRYPTION_KEY']}"
    )
    assert auth.sign_in(user.email).headers["Location"] == "/account"
    column = stored_column(app, user.id)
    with app.app_context():
        assert not secret_box.needs_resealing(column)
        assert secret_box.unseal(column, {"TOTP_ENCRYPTION_KEY": OTHER_KEY}) == TOTP_SECRET


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("", True),
        (DEMO_TOTP_ENCRYPTION_KEY, True),
        (f"{OTHER_KEY},{DEMO_TOTP_ENCRYPTION_KEY}", True),
        ("not-a-key", True),
        (OTHER_KEY, False),
        (f"{OTHER_KEY}, {Fernet.generate_key().decode()}", False),
    ],
)
def test_production_refuses_a_missing_demo_or_malformed_key(value, refused):
    settings = {"TOTP_ENCRYPTION_KEY": value}
    problems = settings_problems(settings) + production_problems(settings)
    assert any("TOTP_ENCRYPTION_KEY" in problem for problem in problems) is refused


def test_a_malformed_key_is_refused_in_every_environment():
    assert any("TOTP_ENCRYPTION_KEY" in p for p in settings_problems({"TOTP_ENCRYPTION_KEY": "x"}))
