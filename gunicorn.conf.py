"""gunicorn settings for the portal: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Everything a deployment changes comes from the environment:

- ``BIND`` (default ``127.0.0.1:8000``: the reverse proxy on the same host forwards to it; a
  container sets ``0.0.0.0:8000``);
- ``WEB_CONCURRENCY``: worker processes (default: two per core, at least two);
- ``GUNICORN_THREADS``: threads per worker (default 1: each worker serves one request at a time,
  which suits the database pool and keeps memory per request predictable);
- ``GUNICORN_TIMEOUT``: seconds a request may take before its worker is restarted (default 60,
  long enough to stamp a large report the first time it is downloaded).
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak in any library cannot grow without bound; the jitter
# keeps them from all restarting at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The proxy in front is trusted for X-Forwarded-*; the portal applies ProxyFix with PROXY_COUNT.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The portal logs each request itself (as JSON, with its request id), so gunicorn's access log is
# off unless asked for; its error log goes to stderr with the rest.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Each worker builds its own app (and database pool) after the fork.
preload_app = False
