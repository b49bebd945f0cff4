"""gunicorn's worker model: threads, so that a request waiting on Stripe holds one thread, and a
database pool with a connection for each thread."""

import runpy
from pathlib import Path

import config
from config import DEFAULT_THREADS, _pool_options

ROOT = Path(__file__).resolve().parent.parent


def _gunicorn_settings(monkeypatch, **environment) -> dict:
    for name in ("GUNICORN_THREADS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_serves_with_threads_by_default(monkeypatch):
    settings = _gunicorn_settings(monkeypatch)
    assert settings["threads"] == DEFAULT_THREADS > 1
    assert settings["workers"] >= 2


def test_one_thread_is_still_a_choice(monkeypatch):
    assert _gunicorn_settings(monkeypatch, GUNICORN_THREADS="1")["threads"] == 1


def test_the_database_pool_has_a_connection_for_each_thread(monkeypatch):
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    options = _pool_options("postgresql+psycopg://db/insight")
    assert options["pool_size"] == DEFAULT_THREADS
    # Dead connections (PostgreSQL restarted) are found when taken, not by a visitor's request.
    assert options["pool_pre_ping"] is True
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    assert _pool_options("postgresql+psycopg://db/insight")["pool_size"] == 8
    monkeypatch.setenv("GUNICORN_THREADS", "1")
    assert _pool_options("postgresql+psycopg://db/insight")["pool_size"] == 5


def test_sqlite_keeps_its_own_pool():
    assert _pool_options("sqlite:///portal.db") == {}
    assert _pool_options("sqlite://") == {}
    assert isinstance(config.ProductionConfig.SQLALCHEMY_ENGINE_OPTIONS, dict)


def test_connections_are_kept_alive_between_requests(monkeypatch):
    """gunicorn's threaded worker keeps a connection open after a response only while it holds
    fewer idle ones than ``worker_connections - threads``: at zero it closes every connection."""
    for threads in ("32", "4"):
        settings = _gunicorn_settings(monkeypatch, GUNICORN_THREADS=threads)
        assert settings["keepalive"] > 0
        assert settings["worker_connections"] - settings["threads"] == int(threads)
