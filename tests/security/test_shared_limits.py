"""Rate limits counted in Redis are shared by every app server; with Redis down the portal still
answers, counting in memory."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from config import TestingConfig
from portal import create_app
from portal.accounts.models import User
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.kept_copies import RedisGeneration
from portal.operations.limits import limiter
from tests.helpers import (
    TEST_PASSWORD,
    TEST_REDIS_URL,
    UNREACHABLE_REDIS_URL,
    RedisSpace,
    csrf_token,
)


@pytest.fixture
def app_server(tmp_path):
    """Build an app server (``create_app``, as each gunicorn instance does) with limits on,
    counted in the store at ``redis_url``, on a database shared by all of them. Given the test's
    ``RedisSpace``, the servers keep their counts, job queue and catalogue token under its
    name."""
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    saved = dict(vars(limiter))  # one limiter serves the process: put the suite's back after
    built = []

    def build(redis_url: str, space: RedisSpace | None = None):
        class Server(TestingConfig):
            SQLALCHEMY_DATABASE_URI = database
            REDIS_URL = redis_url
            RATELIMIT_STORAGE_URI = redis_url
            RATELIMIT_STORAGE_OPTIONS = {"key_prefix": space.limits_prefix} if space else {}
            JOB_QUEUE_NAME = space.name if space else "portal"
            RATELIMIT_APPLY = True

        server = create_app(Server)
        if space:
            server.extensions["catalogue_cache"].generation = RedisGeneration(
                redis_url, key=f"{space.name}:catalogue-generation"
            )
        if not built:
            with server.app_context():
                upgrade()
        built.append(server)
        return server

    yield build
    vars(limiter).clear()
    vars(limiter).update(saved)
    for server in built:
        with server.app_context():
            db.engine.dispose()


def _wrong_password(client):
    return client.post(
        "/sign-in",
        data={
            "csrf_token": csrf_token(client),
            "email": "nobody@example.gov.uk",
            "password": "wrong password 1",
        },
    )


def test_two_app_servers_count_sign_in_attempts_together(app_server, redis_space):
    first, second = app_server(TEST_REDIS_URL, redis_space), app_server(TEST_REDIS_URL, redis_space)
    first_client, second_client = first.test_client(), second.test_client()

    for client in [first_client, second_client] * 5:  # ten attempts, five at each server
        assert _wrong_password(client).status_code == 200

    assert _wrong_password(first_client).status_code == 429
    assert _wrong_password(second_client).status_code == 429
    # The count lives in Redis, where any other server (another process) reads it.
    keys = redis_space.keys()
    assert any("sign_in" in key and "10/1/minute" in key for key in keys), keys


def test_with_redis_down_the_portal_still_answers_and_still_limits(app_server):
    server = app_server(UNREACHABLE_REDIS_URL)
    client = server.test_client()

    assert client.get("/").status_code == 200
    answers = [_wrong_password(client).status_code for _ in range(11)]

    assert answers[:10] == [200] * 10
    assert answers[10] == 429  # counted in memory meanwhile


def test_with_redis_down_an_email_is_still_sent_from_the_request(app_server):
    server = app_server(UNREACHABLE_REDIS_URL)
    client = server.test_client()
    mail = server.extensions["mailman"]
    mail.outbox = []

    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_token(client, "/register"),
            "name": "Grace Hopper",
            "email": "grace@example.gov.uk",
            "organisation": "Example Council",
            "password": TEST_PASSWORD,
            "password_confirm": TEST_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["grace@example.gov.uk"]]


def _forgotten_password(client, email: str, n: int):
    return client.post(
        "/forgotten-password",
        data={"csrf_token": csrf_token(client, "/forgotten-password"), "email": email},
        environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
    )


def test_two_app_servers_count_the_emails_to_one_address_together(app_server, redis_space):
    first, second = app_server(TEST_REDIS_URL, redis_space), app_server(TEST_REDIS_URL, redis_space)
    clients = [first.test_client(), second.test_client()]
    with first.app_context():
        db.session.add(User(email="grace@example.gov.uk", name="Grace Hopper", password_hash="x"))
        db.session.commit()

    for n in range(1, 9):  # eight clients, alternating between the servers
        assert _forgotten_password(clients[n % 2], "grace@example.gov.uk", n).status_code == 200

    with first.app_context():  # the outbox both servers write to
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 5
    keys = redis_space.keys()
    assert any("email-to" in key for key in keys), keys
    assert not any("grace" in key for key in keys)  # the address itself is never stored


def test_with_redis_down_emails_to_one_address_are_still_limited(app_server):
    server = app_server(UNREACHABLE_REDIS_URL)
    client = server.test_client()
    mail = server.extensions["mailman"]
    mail.outbox = []
    with server.app_context():
        db.session.add(User(email="grace@example.gov.uk", name="Grace Hopper", password_hash="x"))
        db.session.commit()

    answers = [_forgotten_password(client, "grace@example.gov.uk", n) for n in range(1, 9)]

    assert [a.status_code for a in answers] == [200] * 8
    assert len(mail.outbox) == 5
