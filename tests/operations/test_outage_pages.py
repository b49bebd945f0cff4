"""A part the portal depends on fails during a request: 503 with Retry-After, and a page that
says which part and, truthfully, whether anything was saved before it failed."""

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.storage import StorageUnavailable


def _database_down():
    raise OperationalError("SELECT 1", {}, Exception("connection refused"))


def _storage_down():
    raise StorageUnavailable("no space left on device")


def _redis_down():
    raise redis.ConnectionError("connection refused")


FAILURES = {
    "database": (_database_down, "We cannot reach our database at the moment."),
    "storage": (_storage_down, "We cannot read or write our files at the moment."),
    "redis": (
        _redis_down,
        "A part of the service that runs work in the background is not answering.",
    ),
}


@pytest.fixture
def failing_app(make_app):
    app = make_app()

    @app.route("/_test/fails/<part>")
    def fails(part):
        FAILURES[part][0]()

    @app.route("/_test/saves-then-fails")
    def saves_then_fails():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        _database_down()

    @app.route("/_test/bug-after-saving")
    def bug_after_saving():
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        raise RuntimeError("a bug")

    return app


@pytest.mark.parametrize("part", sorted(FAILURES))
def test_an_outage_answers_503_with_retry_after_and_says_what_failed(failing_app, part):
    response = failing_app.test_client().get(f"/_test/fails/{part}")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert FAILURES[part][1] in page
    assert "Nothing you sent on this page has been saved." in page


def test_an_outage_after_a_commit_never_says_nothing_was_saved(failing_app):
    response = failing_app.test_client().get("/_test/saves-then-fails")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Part of what you sent was saved before the fault." in page
    assert "has been saved" not in page


def test_a_server_error_after_a_commit_never_says_nothing_was_saved(failing_app):
    failing_app.config["PROPAGATE_EXCEPTIONS"] = False
    response = failing_app.test_client().get("/_test/bug-after-saving")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Part of what you sent was saved before the fault." in page
    assert "Nothing you entered has been saved" not in page


def test_someone_back_from_paying_is_told_their_payment_is_safe(app, client, monkeypatch):
    from portal.payments import services

    def database_down(session_id, event=None):
        _database_down()

    monkeypatch.setattr(services, "confirm_checkout_session", database_down)
    response = client.get("/checkout/success?session_id=cs_test_returning")
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert "your payment is safe with our card processor: do not pay again" in page
    assert "has been saved" not in page


def test_the_webhook_is_answered_with_json_and_retry_after(app, client, monkeypatch):
    from portal.payments import gateway

    def database_down(payload, signature):
        _database_down()

    monkeypatch.setattr(gateway, "verified_event", database_down)
    response = client.post("/stripe/webhook", data=b"{}")
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert response.get_json() == {"error": "unavailable", "retry_after": 30}
