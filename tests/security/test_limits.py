"""Rate limits on the forms that guess passwords, send email or start a payment, and the sign-in
lockout that stops guessing at one account without locking its owner out for good."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import User
from portal.accounts.services import password_reset_token
from portal.clock import utcnow
from portal.extensions import db
from portal.operations.limits import limiter, minutes_to_wait
from tests.helpers import TEST_PASSWORD, csrf_token

REFUSED = "Enter a correct email address and password"
HINT = "If you have tried several times, wait 15 minutes or reset your password"
NEW_PASSWORD = "violet harbour engine 77"


@pytest.fixture
def limits_on(app, monkeypatch):
    """Rate limits apply for this test (the suite runs with them off), counted from zero."""
    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_APPLY", True)
    yield
    limiter.reset()


def stored(app, email: str) -> User:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.expunge(user)
        return user


def update_user(app, email: str, **values) -> None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


# Rate limits


def test_the_eleventh_sign_in_in_a_minute_is_refused_with_a_clear_page(client, auth, limits_on):
    for _ in range(10):
        assert auth.sign_in("nobody@example.gov.uk", "wrong password 1").status_code == 200

    response = auth.sign_in("nobody@example.gov.uk", "wrong password 1")

    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Too many attempts. Try again in 1 minute." in page
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Content-Security-Policy" in response.headers  # our page, with our headers


def test_the_limit_counts_each_address_separately(client, auth, limits_on):
    for _ in range(11):
        auth.sign_in("nobody@example.gov.uk", "wrong password 1")

    elsewhere = client.post(
        "/sign-in",
        data={"csrf_token": csrf_token(client), "email": "a@example.gov.uk", "password": "x"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )

    assert elsewhere.status_code == 200


def test_a_signed_in_person_is_not_stopped_by_the_limit_they_never_reached(
    client, auth, create_user, limits_on
):
    person = create_user()
    for _ in range(9):
        auth.sign_in("nobody@example.gov.uk", "wrong password 1")

    assert auth.sign_in(person.email).status_code == 302


def test_pages_that_are_only_read_are_not_limited(client, limits_on):
    for path in ("/sign-in", "/register", "/forgotten-password", "/checkout/review"):
        for _ in range(30):
            assert client.get(path).status_code != 429, path


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        pytest.param("/register", 5, id="registration"),
        pytest.param("/forgotten-password", 5, id="forgotten-password"),
        pytest.param("/checkout/review", 10, id="placing-an-order"),
        pytest.param("/orders/INS-2026-999999/pay", 10, id="paying-for-an-order"),
    ],
)
def test_each_limited_form_refuses_one_post_too_many(client, limits_on, path, allowed):
    token = csrf_token(client)
    for _ in range(allowed):
        assert client.post(path, data={"csrf_token": token}).status_code != 429

    response = client.post(path, data={"csrf_token": token})

    assert response.status_code == 429
    assert "Too many attempts. Try again in" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers


def test_resending_the_verification_link_is_limited(client, auth, create_user, limits_on):
    person = create_user(verified=False)
    auth.sign_in(person.email)
    token = csrf_token(client, "/account")
    for _ in range(3):
        assert client.post("/account/verify-email", data={"csrf_token": token}).status_code == 302

    response = client.post("/account/verify-email", data={"csrf_token": token})

    assert response.status_code == 429


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [(0.2, 1), (59, 1), (60, 1), (60.5, 2), (3599, 60), (3600, 60), (-5, 1)],
)
def test_the_wait_is_given_in_whole_minutes_rounded_up(seconds, minutes):
    assert minutes_to_wait(seconds) == minutes


def test_a_breached_hourly_limit_says_how_many_minutes_remain(client, auth, monkeypatch, limits_on):
    """The 51st attempt in an hour, spread so the minute limit never trips, waits for the hour."""
    clock = [1_000_000.0]
    monkeypatch.setattr("time.time", lambda: clock[0])
    for _ in range(50):
        auth.sign_in("nobody@example.gov.uk", "wrong password 1")
        clock[0] += 7  # 50 attempts over about six minutes: under ten a minute
    clock[0] += 60 * 10

    response = auth.sign_in("nobody@example.gov.uk", "wrong password 1")

    assert response.status_code == 429
    # The first attempt leaves the hour's window 60 - (350 + 600) / 60 minutes from now: 44.2.
    assert "Try again in 45 minutes." in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) == 3600 - 950


def test_limits_are_off_for_the_rest_of_the_suite(client, auth):
    for _ in range(12):
        assert auth.sign_in("nobody@example.gov.uk", "wrong password 1").status_code == 200


# Sign-in lockout


def fail(auth, email: str, times: int) -> None:
    for _ in range(times):
        response = auth.sign_in(email, "not my password 1")
        assert response.status_code == 200
        assert REFUSED in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(app, client, auth, create_user):
    person = create_user()
    fail(auth, person.email, 5)

    locked_until = stored(app, person.email).locked_until
    refused = auth.sign_in(person.email)  # the right password, while locked

    assert locked_until is not None
    assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15), locked_until
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    assert REFUSED in page and HINT in page
    assert client.get("/account").status_code == 302  # still signed out


def test_four_wrong_passwords_do_not_lock(app, auth, create_user):
    person = create_user()
    fail(auth, person.email, 4)

    assert auth.sign_in(person.email).status_code == 302
    assert stored(app, person.email).failed_sign_ins == 0


def test_a_correct_sign_in_starts_the_count_again(app, client, auth, create_user):
    person = create_user()
    fail(auth, person.email, 4)
    auth.sign_in(person.email)
    auth.sign_out()
    fail(auth, person.email, 4)

    assert stored(app, person.email).locked_until is None
    assert auth.sign_in(person.email).status_code == 302


def test_the_account_opens_again_after_fifteen_minutes(app, auth, create_user, monkeypatch):
    person = create_user()
    fail(auth, person.email, 5)
    later = utcnow() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)

    response = auth.sign_in(person.email)

    assert response.status_code == 302
    user = stored(app, person.email)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


def test_wrong_passwords_while_locked_do_not_extend_the_lock(app, auth, create_user):
    person = create_user()
    fail(auth, person.email, 5)
    locked_until = stored(app, person.email).locked_until

    fail(auth, person.email, 10)

    assert stored(app, person.email).locked_until == locked_until


def test_a_lock_that_has_passed_lets_the_right_password_in(app, auth, create_user):
    person = create_user()
    update_user(app, person.email, locked_until=utcnow() - timedelta(seconds=1))

    assert auth.sign_in(person.email).status_code == 302


def test_a_password_reset_ends_the_lock(app, client, auth, post_form, create_user):
    person = create_user()
    fail(auth, person.email, 5)
    with app.app_context():
        token = password_reset_token(db.session.get(User, person.id))

    path = f"/reset-password/{token}"
    reset = post_form(path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    signed_in = auth.sign_in(person.email, NEW_PASSWORD)

    assert reset.status_code == 302, reset.get_data(as_text=True)
    assert signed_in.status_code == 302
    assert stored(app, person.email).locked_until is None


def _comparable(page: str) -> str:
    # The CSRF token differs on every page, and the form repeats the address typed; everything
    # else must be the same.
    page = re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", page)
    page = re.sub(r'nonce="[^"]*"', "", page)
    return page.replace("locked@example.gov.uk", "EMAIL").replace("nobody@example.gov.uk", "EMAIL")


def test_a_locked_account_answers_exactly_as_an_unknown_address(app, auth, create_user):
    person = create_user(email="locked@example.gov.uk")
    fail(auth, person.email, 5)

    locked = auth.sign_in(person.email)
    unknown = auth.sign_in("nobody@example.gov.uk")
    wrong = auth.sign_in(create_user().email, "not my password 1")

    assert locked.status_code == unknown.status_code == wrong.status_code == 200
    assert _comparable(locked.get_data(as_text=True)) == _comparable(unknown.get_data(as_text=True))
    assert HINT in wrong.get_data(as_text=True)  # the hint is on every refusal, not only locks


def test_every_answer_checks_one_password_hash(app, create_user, ctx, monkeypatch):
    """Unknown, wrong, locked and right all cost one hash check, so timing tells nothing."""
    person = create_user()
    calls = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda *a: calls.append(1) or real(*a))

    for email, password in [
        ("nobody@example.gov.uk", TEST_PASSWORD),
        (person.email, "not my password 1"),
        (person.email, TEST_PASSWORD),
    ]:
        calls.clear()
        accounts.authenticate(email, password)
        assert len(calls) == 1, email
    person = db.session.merge(person)
    person.locked_until = utcnow() + timedelta(minutes=5)
    calls.clear()

    assert accounts.authenticate(person.email, TEST_PASSWORD) is None
    assert len(calls) == 1
