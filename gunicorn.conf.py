"""gunicorn settings for the portal: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Everything a deployment changes comes from the environment:

- ``BIND`` (default ``127.0.0.1:8000``: the reverse proxy on the same host forwards to it; a
  container sets ``0.0.0.0:8000``);
- ``WEB_CONCURRENCY``: worker processes (default: one per core, at least two; each serves
  ``GUNICORN_THREADS`` requests at once, so the processes need only keep the cores busy);
- ``GUNICORN_THREADS``: threads per worker (default 32, ``config.DEFAULT_THREADS``): gunicorn's
  threaded worker, so that a request waiting on Stripe (300 to 1,000 ms on a bad day) holds one
  thread, not the whole worker, and the other pages go on being served beside it; each process's
  database pool has a connection per thread (``make bench``, scenario 10, measured the choice;
  ``GUNICORN_THREADS=1`` is the single-threaded sync worker);
- ``GUNICORN_TIMEOUT``: seconds a request may take before its worker is restarted (default 60,
  long enough to stamp a large report the first time it is downloaded);
- ``GUNICORN_MAX_REQUESTS``, ``FORWARDED_ALLOW_IPS``, ``GUNICORN_ACCESS_LOG``,
  ``GUNICORN_CONTROL_SOCKET`` (below), and
  ``LOG_FORMAT`` / ``LOG_LEVEL`` as the portal reads them.

The settings are checked before any worker starts: with a problem, gunicorn prints the same list
``flask --app wsgi check-config`` does and exits with status 1, rather than restarting workers
that cannot start. It also refuses, in production, rate limits counted in memory (no Redis) with
more than one worker, unless ``RATELIMIT_ALLOW_MEMORY=1``.
"""

import multiprocessing
import os


def _whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise SystemExit(f"{name} must be a whole number of 1 or more, not {value!r}.")
    return int(value)


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _whole_number("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count()))
threads = _whole_number("GUNICORN_THREADS", 32)  # config.DEFAULT_THREADS
# Connections a worker holds: one per thread, plus as many again kept open between requests
# (the proxy's kept-alive upstream connections). gunicorn's threaded worker keeps a connection
# alive only while it holds fewer than worker_connections - threads idle ones: at exactly
# ``threads`` it would close every connection after one response, and every request would pay
# for a new one.
worker_connections = threads * 2
timeout = _whole_number("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak in any library cannot grow without bound; the jitter
# keeps them from all restarting at once. Rarely: at 1,000 requests a second a worker is replaced
# every minute or so rather than every two seconds (each new one warms up before it serves:
# post_worker_init below).
max_requests = _whole_number("GUNICORN_MAX_REQUESTS", 50000)
max_requests_jitter = max_requests // 10
# The proxy in front is trusted for X-Forwarded-*; the portal applies ProxyFix with PROXY_COUNT.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The portal logs each request itself (with its request id, and without the query string, where
# order and download links carry their token), so gunicorn's access log is off unless asked for
# ("-" for stdout, or a file); its error log goes to stderr with the rest.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# The portal's default: JSON in production, text elsewhere (config.py).
_production = os.environ.get("PORTAL_ENV", "production").strip().lower() == "production"
_log_format = os.environ.get("LOG_FORMAT", "json" if _production else "text").strip().lower()
if _log_format == "json":
    # gunicorn's own lines (starting, workers booting and timing out) as JSON objects too, on
    # stderr. The root logger is left to the portal, so no line is written twice.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["json"],
                "propagate": False,
                "qualname": "gunicorn.error",
            },
            "gunicorn.access": {
                "level": "INFO" if accesslog else "WARNING",
                "handlers": ["json"] if accesslog else [],
                "propagate": False,
                "qualname": "gunicorn.access",
            },
        },
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            },
        },
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "{levelname}{name}{process}{message}",
                "style": "{",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            },
        },
    }


def on_starting(server) -> None:
    """Refuse to start, before any worker, when the portal would refuse its settings, or the
    number of workers (rate limits counted in memory by each of several)."""
    from config import problems_in_environment, refusal_message

    if problems := problems_in_environment(workers=server.cfg.workers):
        raise SystemExit(refusal_message(problems))


# gunicorn's control socket (for gunicornc) is one path per user by default, which two instances
# on one host would fight over: off unless GUNICORN_CONTROL_SOCKET names a path for this one.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
# The app is imported once, by the master, and each worker is a fork of it: a worker starts (and
# restarts, after max_requests) in milliseconds instead of the second or so importing takes, and
# the workers share the imported code's memory. The master opens no connection while it loads
# the app; post_fork below makes sure none it might have opened is shared. A reload (HUP) forks
# new workers from the code already loaded: after an upgrade, restart.
preload_app = True


def post_fork(server, worker) -> None:
    """A new worker: drop any database connection inherited from the master, without closing
    it (it is the master's), so the worker's pool opens its own; start its log writer."""
    import sys

    from portal.extensions import db
    from portal.operations.logs import write_in_background

    app = getattr(sys.modules.get("wsgi"), "app", None)
    if app is None:
        return  # another app under these settings (the benchmark's floor)
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    # Request threads queue their log lines; a thread of the worker's own writes them.
    worker.stop_writing_logs = write_in_background()


def worker_exit(server, worker) -> None:
    """A worker leaving: every line it queued is written first."""
    stop = getattr(worker, "stop_writing_logs", None)
    if stop is not None:
        stop()


def when_ready(server) -> None:
    """The app is loaded and no worker forked yet: keep what the import made out of every
    worker's garbage collections."""
    from portal.operations.warm_up import freeze_loaded

    freeze_loaded()


def post_worker_init(worker) -> None:
    """A new worker draws the most visited pages once before it accepts a request, so that no
    visitor waits for its empty caches (portal.operations.warm_up)."""
    import sys

    app = getattr(sys.modules.get("wsgi"), "app", None)
    if app is None:
        return  # another app under these settings (the benchmark's floor)
    from portal.operations.warm_up import warm_up

    warm_up(app)
