"""/healthz (the process answers) and /readyz (database, Redis, storage reachable)."""

import pytest
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from portal.operations import services
from portal.operations.limits import limiter

UNUSED_PORT = 18499  # nothing listens here


def test_healthz_answers_without_touching_the_database(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_200_when_everything_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    # No REDIS_URL in the tests: there is no Redis to check.
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "storage": "ok"}}


def test_readyz_is_503_naming_the_database_when_it_does_not_answer(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {
        "status": "unavailable",
        "checks": {"database": "failed", "storage": "ok"},
    }


def test_readyz_is_503_with_a_wrong_database_url(make_app, caplog):
    app = make_app(
        SQLALCHEMY_DATABASE_URI=f"postgresql+psycopg://nobody:pw-hidden@127.0.0.1:{UNUSED_PORT}/x"
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "failed"
    assert "pw-hidden" not in response.get_data(as_text=True)
    assert "readiness: database failed: OperationalError" in caplog.text


@pytest.mark.parametrize(
    ("redis_url", "status", "result"),
    [
        ("redis://127.0.0.1:6379/2", 200, "ok"),
        (f"redis://:pw-hidden@127.0.0.1:{UNUSED_PORT}/2", 503, "failed"),
    ],
)
def test_readyz_pings_redis_when_configured(make_app, redis_url, status, result):
    app = make_app(REDIS_URL=redis_url)
    response = app.test_client().get("/readyz")
    assert response.status_code == status
    assert response.get_json()["checks"]["redis"] == result
    assert "pw-hidden" not in response.get_data(as_text=True)


def test_readyz_is_503_when_the_storage_folder_is_missing(make_app, tmp_path):
    app = make_app(STORAGE_ROOT=str(tmp_path / "not-there"))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "failed"


def test_readyz_never_answers_500(client, monkeypatch):
    def broken():
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(services, "check_storage", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "something unexpected" not in response.get_data(as_text=True)


@pytest.fixture
def limited_app(make_app):
    """An app where every page is limited to two requests a minute."""
    app = make_app(RATELIMIT_DEFAULT="2 per minute", RATELIMIT_APPLY=True)
    yield app
    # The limiter is one object for every app in the process: the portal sets no default limit.
    limiter.limit_manager.set_default_limits([])
    limiter.reset()


def test_probes_are_never_rate_limited(limited_app):
    app = limited_app
    client = app.test_client()
    for _ in range(4):
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
    # The same limit does apply to a page.
    assert [client.get("/sign-in").status_code for _ in range(3)] == [200, 200, 429]
