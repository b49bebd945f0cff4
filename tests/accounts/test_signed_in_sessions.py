"""Signed-in sessions kept on the server: signing out ends a session for every copy of its
cookies, "sign out everywhere" ends them all, and the account page lists and ends them."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from portal.accounts import signed_in
from portal.accounts.models import SignedInSession
from portal.clock import utcnow
from portal.extensions import db
from tests.accounts.helpers import is_signed_out
from tests.helpers import TEST_PASSWORD as PASSWORD
from tests.helpers import csrf_token

FIREFOX_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)


def copy_of(app, browser, *names: str):
    """A second browser holding copies of ``browser``'s cookies, as a thief would."""
    thief = app.test_client()
    for name in names:
        cookie = browser.get_cookie(name)
        assert cookie is not None, f"no {name} cookie to copy"
        thief.set_cookie(name, cookie.value, domain=cookie.domain)
    return thief


def sessions_of(app, user_id: int) -> list[SignedInSession]:
    with app.app_context():
        rows = db.session.scalars(
            select(SignedInSession)
            .where(SignedInSession.user_id == user_id)
            .order_by(SignedInSession.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def sign_out_everywhere(browser):
    token = csrf_token(browser, "/account")
    return browser.post("/account/sessions/sign-out-everywhere", data={"csrf_token": token})


def end_session(browser, session_id: int):
    token = csrf_token(browser, "/account")
    return browser.post(f"/account/sessions/{session_id}/end", data={"csrf_token": token})


@pytest.mark.parametrize(
    "cookies", [("session",), ("remember_token",)], ids=["session", "remember"]
)
def test_a_copied_cookie_stops_working_at_sign_out(app, client, auth, create_user, cookies):
    auth.sign_in(create_user().email, remember="y")
    thief = copy_of(app, client, *cookies)
    assert thief.get("/account").status_code == 200

    auth.sign_out()

    assert is_signed_out(client)
    assert is_signed_out(thief)


def test_signing_out_ends_only_this_session(app, client, auth, create_user, other_browser):
    person = create_user()
    elsewhere = other_browser(person.email)
    auth.sign_in(person.email)

    auth.sign_out()

    rows = sessions_of(app, person.id)
    assert [row.ended_at is not None for row in rows] == [False, True]
    assert elsewhere.get("/account").status_code == 200


def test_sign_out_everywhere_ends_every_session(app, client, auth, create_user, other_browser):
    person = create_user()
    elsewhere = other_browser(person.email)
    remembered = other_browser(person.email, remember="y")
    remembered.delete_cookie("session")
    auth.sign_in(person.email, remember="y")
    thief = copy_of(app, client, "session")

    response = sign_out_everywhere(client)

    assert response.status_code == 302
    assert response.location == "/"
    for browser in (client, elsewhere, remembered, thief):
        assert is_signed_out(browser)
    assert all(row.ended_at is not None for row in sessions_of(app, person.id))


def test_sign_out_everywhere_leaves_other_people_signed_in(
    create_user, auth, client, other_browser
):
    someone_else = other_browser(create_user().email)
    auth.sign_in(create_user().email)

    sign_out_everywhere(client)

    assert someone_else.get("/account").status_code == 200


def test_the_account_page_lists_the_sessions(app, client, auth, create_user, other_browser):
    person = create_user()
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.7"
    elsewhere.post(
        "/sign-in",
        data={"csrf_token": csrf_token(elsewhere), "email": person.email, "password": PASSWORD},
    )
    client.environ_base["HTTP_USER_AGENT"] = FIREFOX_ON_WINDOWS
    auth.sign_in(person.email)

    page = client.get("/account").get_data(as_text=True)

    assert "Signed-in sessions" in page
    assert "Firefox on Windows" in page
    assert "This device" in page
    assert page.count("This device") == 1
    assert "203.0.113.7" in page
    this, other = sessions_of(app, person.id)[::-1]
    assert f'action="/account/sessions/{other.id}/end"' in page
    assert f'action="/account/sessions/{this.id}/end"' not in page
    assert this.browser == "Firefox on Windows"


def test_the_session_ids_in_the_page_are_not_the_cookie_secrets(app, client, auth, create_user):
    person = create_user()
    auth.sign_in(person.email, remember="y")

    page = client.get("/account").get_data(as_text=True)

    with client.session_transaction() as session:
        secret = session["_user_id"]
    assert secret not in page
    assert secret not in client.get_cookie("remember_token").value.split("|")[1:]
    with app.app_context():
        assert db.session.scalar(select(SignedInSession.token_hash)) != secret


def test_ending_another_session_signs_that_browser_out(
    app, client, auth, create_user, other_browser
):
    person = create_user()
    elsewhere = other_browser(person.email, remember="y")
    auth.sign_in(person.email)
    other_id = sessions_of(app, person.id)[0].id

    response = end_session(client, other_id)

    assert response.status_code == 302
    assert response.location == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    assert "You have ended that session" in page.get_data(as_text=True)
    assert is_signed_out(elsewhere)


def test_ending_this_session_signs_out(app, client, auth, create_user):
    person = create_user()
    auth.sign_in(person.email)
    this_id = sessions_of(app, person.id)[0].id

    end_session(client, this_id)

    assert is_signed_out(client)


def test_someone_elses_session_cannot_be_ended(app, client, auth, create_user, other_browser):
    victim = create_user()
    victims_browser = other_browser(victim.email)
    auth.sign_in(create_user().email)

    response = end_session(client, sessions_of(app, victim.id)[0].id)

    assert response.status_code == 404
    assert victims_browser.get("/account").status_code == 200


def test_an_ended_or_missing_session_is_not_found(app, client, auth, create_user, other_browser):
    person = create_user()
    elsewhere = other_browser(person.email)
    elsewhere.post("/sign-out", data={"csrf_token": csrf_token(elsewhere, "/")})
    auth.sign_in(person.email)
    ended, this = sessions_of(app, person.id)

    assert end_session(client, ended.id).status_code == 404
    assert end_session(client, this.id + 1000).status_code == 404
    assert client.get("/account").status_code == 200


def test_ending_a_session_needs_the_csrf_token(app, client, auth, create_user, other_browser):
    person = create_user()
    elsewhere = other_browser(person.email)
    auth.sign_in(person.email)

    response = client.post(f"/account/sessions/{sessions_of(app, person.id)[0].id}/end")

    assert response.status_code == 400
    assert elsewhere.get("/account").status_code == 200


def test_sign_out_everywhere_needs_the_csrf_token(client, auth, create_user):
    auth.sign_in(create_user().email)

    assert client.post("/account/sessions/sign-out-everywhere").status_code == 400
    assert client.get("/account").status_code == 200


def test_changing_the_password_keeps_this_session_and_ends_the_others(
    app, client, auth, post_form, create_user, other_browser
):
    person = create_user()
    other_browser(person.email)
    auth.sign_in(person.email, remember="y")
    thief = copy_of(app, client, "remember_token")
    new = "violet compass harbour 7"

    post_form(
        "/account/password",
        {"current_password": PASSWORD, "password": new, "password_confirm": new},
    )

    assert [row.ended_at is None for row in sessions_of(app, person.id)] == [False, True]
    assert client.get("/account").status_code == 200
    # The copy of this browser's cookie is this session: the password change does not end it,
    # but signing out does.
    auth.sign_out()
    assert is_signed_out(thief)


def test_a_pending_two_factor_sign_in_is_not_a_session(app, client, post_form, create_user):
    person = create_user(is_admin=True)

    response = post_form("/sign-in", {"email": person.email, "password": PASSWORD})

    assert response.location == "/sign-in/two-factor"
    assert sessions_of(app, person.id) == []


def test_completing_two_factor_sign_in_starts_a_session(app, client, auth, create_user):
    person = create_user(is_admin=True)

    auth.sign_in(person.email)

    assert len(sessions_of(app, person.id)) == 1
    assert client.get("/admin/dashboard").status_code == 200


def test_last_seen_is_written_at_most_once_a_minute(
    app, client, auth, create_user, count_queries, monkeypatch
):
    person = create_user()
    auth.sign_in(person.email)
    (row,) = sessions_of(app, person.id)
    later = row.last_seen_at + timedelta(seconds=59)
    monkeypatch.setattr(signed_in, "utcnow", lambda: later)

    with count_queries() as statements:
        client.get("/account")
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert sessions_of(app, person.id)[0].last_seen_at == row.last_seen_at

    much_later = row.last_seen_at + timedelta(seconds=61)
    monkeypatch.setattr(signed_in, "utcnow", lambda: much_later)
    client.get("/account")
    assert sessions_of(app, person.id)[0].last_seen_at == much_later


def test_a_signed_in_page_reads_the_session_once(client, auth, create_user, count_queries):
    auth.sign_in(create_user().email)
    client.get("/reports")

    with count_queries() as statements:
        client.get("/reports")

    assert len([s for s in statements if "signed_in_sessions" in s]) == 1


def test_a_session_unseen_for_longer_than_remember_me_lasts_has_expired(
    app, client, auth, create_user, monkeypatch
):
    person = create_user()
    auth.sign_in(person.email, remember="y")
    (row,) = sessions_of(app, person.id)
    lifetime = app.config["REMEMBER_COOKIE_DURATION"]
    monkeypatch.setattr(
        signed_in, "utcnow", lambda: row.last_seen_at + timedelta(seconds=lifetime + 1)
    )

    assert is_signed_out(client)


@pytest.mark.parametrize(
    ("user_agent", "summary"),
    [
        (FIREFOX_ON_WINDOWS, "Firefox on Windows"),
        (SAFARI_ON_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Linux",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
        ("x" * 5000, "Unknown browser"),
    ],
)
def test_the_browser_is_summarised(user_agent, summary):
    assert signed_in.describe_browser(user_agent) == summary


def test_a_made_up_session_cookie_signs_nobody_in(app, client, create_user):
    create_user()
    with client.session_transaction() as session:
        session["_user_id"] = "made-up"

    assert is_signed_out(client)
    assert re.search("Sign in", client.get("/sign-in").get_data(as_text=True))


def test_an_ended_session_cannot_be_ended_again(app, ctx, create_user):
    person = create_user()
    token = signed_in.start(person, "", "127.0.0.1")
    signed_in.end_token(token)

    assert signed_in.load_user(token) is None
    assert signed_in.own_live_session(person, sessions_of_ctx(person)[0].id) is None


def sessions_of_ctx(person) -> list[SignedInSession]:
    return db.session.scalars(
        select(SignedInSession)
        .where(SignedInSession.user_id == person.id)
        .order_by(SignedInSession.id)
    ).all()


def test_rows_record_when_the_session_started(app, ctx, create_user):
    before = utcnow()
    person = create_user()

    signed_in.start(person, SAFARI_ON_IPHONE, "198.51.100.4")

    (row,) = sessions_of_ctx(person)
    assert row.created_at >= before
    assert row.last_seen_at == row.created_at
    assert (row.browser, row.ip_address, row.ended_at) == ("Safari on iPhone", "198.51.100.4", None)


@pytest.mark.parametrize(
    ("remember", "lifetime_setting"),
    [(True, "REMEMBER_COOKIE_DURATION"), (False, "PERMANENT_SESSION_LIFETIME")],
    ids=["remembered", "browser-session"],
)
def test_a_session_lasts_as_long_as_its_cookie_could(
    app, ctx, create_user, monkeypatch, remember, lifetime_setting
):
    """A session without "remember me" ends with its cookie (PERMANENT_SESSION_LIFETIME), so
    the account page does not list it for a month after the browser has closed."""
    person = create_user()
    token = signed_in.start(person, "", "127.0.0.1", remember=remember)
    (row,) = sessions_of_ctx(person)
    setting = app.config[lifetime_setting]
    lifetime = setting if isinstance(setting, timedelta) else timedelta(seconds=setting)

    monkeypatch.setattr(signed_in, "utcnow", lambda: row.last_seen_at + lifetime / 2)
    assert signed_in.load_user(token) is not None
    assert signed_in.live_sessions(person) == [row]
    monkeypatch.setattr(
        signed_in, "utcnow", lambda: row.last_seen_at + lifetime + timedelta(seconds=1)
    )
    assert signed_in.load_user(token) is None
    assert signed_in.live_sessions(person) == []


def test_a_failure_to_write_last_seen_does_not_fail_the_page(
    app, client, auth, create_user, monkeypatch, caplog
):
    person = create_user()
    auth.sign_in(person.email)
    (row,) = sessions_of(app, person.id)
    monkeypatch.setattr(signed_in, "utcnow", lambda: row.last_seen_at + timedelta(minutes=5))

    def database_gone(session_id):
        raise OperationalError("UPDATE signed_in_sessions", {}, Exception("server closed"))

    monkeypatch.setattr(signed_in, "touch", database_gone)

    assert client.get("/account").status_code == 200
    assert "could not record when signed-in session" in caplog.text


def test_signing_in_forgets_the_persons_sessions_long_over(app, ctx, create_user, monkeypatch):
    """Browser and address are personal data: a session's row is kept while it can be listed,
    and dropped at the person's next sign-in once it has been over for the "remember me"
    lifetime."""
    person, someone_else = create_user(), create_user()
    old = signed_in.start(person, "", "127.0.0.1", remember=True)
    signed_in.start(someone_else, "", "127.0.0.1")
    recent = signed_in.start(person, "", "127.0.0.1")
    signed_in.end_token(old)
    lifetime = timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"])
    (old_row, recent_row) = sessions_of_ctx(person)
    monkeypatch.setattr(signed_in, "utcnow", lambda: old_row.ended_at + lifetime / 2)
    signed_in.start(person, "", "127.0.0.1")
    assert len(sessions_of_ctx(person)) == 3

    monkeypatch.setattr(signed_in, "utcnow", lambda: old_row.ended_at + lifetime * 1.2)
    signed_in.start(person, "", "127.0.0.1")

    remaining = sessions_of_ctx(person)
    assert old_row not in remaining and recent_row not in remaining  # over, or long expired
    assert len(remaining) == 2
    assert len(sessions_of_ctx(someone_else)) == 1
    assert recent
