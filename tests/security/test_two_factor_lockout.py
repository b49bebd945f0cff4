"""Wrong two-factor codes are counted per account on the server: five in a row lock the code step
of that account for fifteen minutes, whatever session cookie is presented, and tell the account
holder by email; administrators' wrong codes are written to the audit log."""

import contextlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts import two_factor, two_factor_lockout
from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.clock import utcnow
from portal.extensions import db
from tests.helpers import TEST_PASSWORD, csrf_token, sign_in_without_a_code
from tests.security.helpers import app_code

CODE_PAGE = "/sign-in/two-factor"
WRONG = "000000"
ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}


def stored(app, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


def lock_emails(outbox, user) -> list:
    return [m for m in outbox if m.to == [user.email] and "wrong" in m.subject.lower()]


@pytest.fixture
def pending_cookie(client, post_form):
    """Give the password step for ``user`` and return a replay of the session cookie as it is
    then (the pending sign-in with no wrong codes counted in it) and its form token."""

    def begin(user):
        post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
        token = csrf_token(client, CODE_PAGE)
        cookie = client.get_cookie("session").value

        def replay(code: str):
            client.set_cookie("session", cookie)
            return client.post(
                CODE_PAGE, data={"csrf_token": token, "code": code}, environ_base=ATTACKER
            )

        return replay

    return begin


def test_replaying_the_pending_sign_in_cookie_does_not_reset_the_count(
    app, client, two_factor_user, pending_cookie
):
    user, _ = two_factor_user()
    replay = pending_cookie(user)
    for tried in range(1, 5):
        assert replay(WRONG).status_code == 200
        assert stored(app, user.id).failed_second_factors == tried
    locked = replay(WRONG)
    assert locked.headers["Location"] == "/sign-in"
    assert stored(app, user.id).second_factor_locked_until is not None
    # Even the right code, from the same replayed cookie, is refused while the lock lasts.
    refused = replay(app_code())
    assert refused.status_code in (200, 302)
    assert client.get("/account").status_code != 200


@pytest.mark.parametrize("kind", ["app code", "recovery code"])
def test_while_locked_every_code_is_refused_until_fifteen_minutes_pass(
    app, client, post_form, two_factor_user, pending_cookie, monkeypatch, kind
):
    user, recovery_codes = two_factor_user()
    replay = pending_cookie(user)
    for _ in range(5):
        replay(WRONG)
    until = stored(app, user.id).second_factor_locked_until
    assert timedelta(minutes=14) < until - utcnow() <= timedelta(minutes=15)

    def right() -> str:
        return app_code() if kind == "app code" else recovery_codes[0]

    post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    refused = post_form(CODE_PAGE, {"code": right()})
    assert refused.headers["Location"] == "/sign-in"
    assert "Too many wrong security codes" in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/account").status_code != 200
    with app.app_context():  # the recovery code was not spent by the refused attempt
        assert two_factor.recovery_codes_left(db.session.get(User, user.id)) == 10

    later = utcnow() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(two_factor_lockout, "utcnow", lambda: later)
    post_form("/sign-in", {"email": user.email, "password": TEST_PASSWORD})
    assert post_form(CODE_PAGE, {"code": right()}).headers["Location"] == "/account"
    assert client.get("/account").status_code == 200


def test_wrong_codes_while_locked_neither_extend_the_lock_nor_email_again(
    app, outbox, two_factor_user, pending_cookie
):
    user, _ = two_factor_user()
    replay = pending_cookie(user)
    for _ in range(5):
        replay(WRONG)
    until = stored(app, user.id).second_factor_locked_until
    for _ in range(3):
        replay(WRONG)
    assert stored(app, user.id).second_factor_locked_until == until
    emails = lock_emails(outbox, user)
    assert len(emails) == 1
    body = emails[0].body
    assert "5 wrong security codes" in body and "reset your password" in body
    assert "/forgotten-password" in body


def test_the_holder_is_emailed_again_after_a_later_lock(
    app, outbox, two_factor_user, pending_cookie, monkeypatch
):
    user, _ = two_factor_user()
    replay = pending_cookie(user)
    for _ in range(5):
        replay(WRONG)
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(two_factor_lockout, "utcnow", lambda: later)
    for _ in range(5):
        replay(WRONG)
    assert len(lock_emails(outbox, user)) == 2


def test_a_right_code_starts_the_count_again(app, client, auth, two_factor_user, pending_cookie):
    user, _ = two_factor_user()
    replay = pending_cookie(user)
    for _ in range(4):
        replay(WRONG)
    assert replay(app_code()).headers["Location"] == "/account"
    assert stored(app, user.id).failed_second_factors == 0
    auth.sign_out()
    replay = pending_cookie(user)
    for _ in range(4):
        replay(WRONG)
    assert stored(app, user.id).second_factor_locked_until is None


def test_a_remembered_session_asked_for_a_code_counts_on_the_same_lock(app, client, create_user):
    admin = create_user(is_admin=True)
    sign_in_without_a_code(app, client, admin)
    token = csrf_token(client, CODE_PAGE)
    for _ in range(4):
        response = client.post(CODE_PAGE, data={"csrf_token": token, "code": WRONG})
        assert response.status_code == 200
    assert stored(app, admin.id).failed_second_factors == 4
    client.post(CODE_PAGE, data={"csrf_token": token, "code": WRONG})
    assert stored(app, admin.id).second_factor_locked_until is not None


def test_new_recovery_codes_cannot_be_had_by_guessing_codes(
    app, client, auth, post_form, two_factor_user
):
    user, _ = two_factor_user()
    auth.sign_in(user.email)
    path = "/account/two-factor/recovery-codes"
    for _ in range(5):
        post_form(path, {"code": WRONG})
    assert stored(app, user.id).second_factor_locked_until is not None
    refused = post_form(path, {"code": app_code(1)})
    assert refused.status_code == 200 and "<code>" not in refused.get_data(as_text=True)
    assert "Too many wrong security codes" in refused.get_data(as_text=True)


def test_each_wrong_code_of_an_administrator_is_in_the_audit_log(app, create_user, pending_cookie):
    admin = create_user(is_admin=True)
    replay = pending_cookie(admin)
    for _ in range(6):  # five counted, then one refused while locked
        replay(WRONG)
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "user.two_factor_wrong_code")
            .order_by(AuditEntry.id)
        ).all()
        assert len(entries) == 6
        assert {e.actor_email for e in entries} == {admin.email}
        assert {e.target_id for e in entries} == {str(admin.id)}
        assert {e.after["address"] for e in entries} == {ATTACKER["REMOTE_ADDR"]}
        assert [e.after["locked"] for e in entries] == [False] * 4 + [True, True]


def test_a_customers_wrong_codes_are_not_in_the_audit_log(app, two_factor_user, pending_cookie):
    user, _ = two_factor_user()
    pending_cookie(user)(WRONG)
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == 0


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_wrong_codes_sent_at_once_each_count(app, create_user):
    """Parallel guesses from many sessions serialise on the account's row: none is lost."""
    user = create_user(totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totp_enabled_at=utcnow())
    threads_count = 5
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            with app.app_context():
                person = db.session.get(User, user.id)
                barrier.wait(timeout=10)
                with contextlib.suppress(two_factor_lockout.SecondFactorLocked):
                    two_factor.check_second_factor(person, WRONG, address="198.51.100.1")
                db.session.commit()
        except BaseException as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=guess) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    locked = stored(app, user.id)
    assert locked.second_factor_locked_until is not None
    assert locked.failed_second_factors == 0  # the lock starts a fresh count
