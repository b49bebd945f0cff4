"""Log lines for people and for log collectors: JSON (``LOG_FORMAT=json``) or text, each carrying
the id of the request it was written during, plus one access line per request.

The request id (``request_ids``) goes back in the response's ``X-Request-ID`` header.

Nothing secret reaches these lines: the access line names the path without its query string (order
and download links carry their token there) and with any ``<token>`` part of the path hidden;
headers, cookies and form fields are never logged.
"""

import copy
import logging
import queue
import sys
import time
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener

from flask import Flask, Response, g, request
from pythonjsonlogger.json import JsonFormatter

from portal.operations.request_ids import REQUEST_ID_HEADER, request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "{levelname}{name}{request_id}{message}"

#: Probes from load balancers and monitors: logged only at DEBUG while they succeed, so a probe
#: every few seconds does not bury the requests people make.
QUIET_ENDPOINTS = frozenset({"operations.healthz", "operations.readyz"})

access_log = logging.getLogger("portal.access")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" when it was not written during a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


class PortalLogHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is written (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def log_formatter(log_format: str) -> logging.Formatter:
    """One JSON object per line (``json``) or a line for a person (``text``)."""
    if log_format == "json":
        return JsonFormatter(
            JSON_FIELDS,
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601 in UTC
        )
    return logging.Formatter(TEXT_FORMAT)


def log_handler(log_format: str, stream=None) -> logging.Handler:
    """A handler in ``log_format`` that stamps each line with its request id; to stderr unless
    given another ``stream``."""
    handler = logging.StreamHandler(stream) if stream is not None else PortalLogHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(log_formatter(log_format))
    return handler


class _LinesForTheWriter(QueueHandler):
    """Hands each record to the writing thread, its message and any traceback already made into
    text (the objects they name may change or go before the line is written), stamped with the
    request's id here, where the request is known."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record = copy.copy(record)
        record.msg, record.args = record.getMessage(), None
        if record.exc_info:
            record.exc_text = record.exc_text or logging.Formatter().formatException(
                record.exc_info
            )
            record.exc_info = None
        return record


def write_in_background() -> Callable[[], None]:
    """From now on this process's lines are written by a thread of their own; the threads that
    serve requests only queue them. Returns what stops that thread once every queued line is
    written.

    Every line goes through one handler, under one lock, to stderr: with 32 request threads per
    worker, each waited for the others' writes (and for the GIL back after its own) before it
    could answer, and a slow write (a busy disk, a journal that falls behind) held up every
    request of the worker. For gunicorn's workers (``post_fork``); tests and the development
    server write as they go.
    """
    root = logging.getLogger()
    writers = [h for h in root.handlers if isinstance(h, PortalLogHandler)]
    if not writers:
        return lambda: None
    lines: queue.SimpleQueue = queue.SimpleQueue()
    queued = _LinesForTheWriter(lines)
    queued.addFilter(RequestIdFilter())
    for writer in writers:
        root.removeHandler(writer)
    root.addHandler(queued)
    listener = QueueListener(lines, *writers, respect_handler_level=True)
    listener.start()

    def stop() -> None:
        root.removeHandler(queued)
        listener.stop()  # writes what is queued, then ends the thread
        for writer in writers:
            root.addHandler(writer)

    return stop


class _DevServerRequestLines(logging.Filter):
    """Drops the development server's own line per request: the access line below replaces it,
    and the server's copy would show the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        return '"%s" %s %s' not in str(record.msg)


def configure_logging(log_format: str, log_level: str) -> None:
    """Send every logger's lines to stderr in ``log_format`` at ``log_level``.

    Handlers other code added (gunicorn's own) are left alone; building a second app in one
    process replaces this module's handler rather than adding another.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, PortalLogHandler)]:
        root.removeHandler(handler)
    root.addHandler(log_handler(log_format))
    root.setLevel(log_level)
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DevServerRequestLines) for f in werkzeug.filters):
        werkzeug.addFilter(_DevServerRequestLines())


def loggable_path() -> str:
    """The request's path with any ``<token>`` part hidden (never its query string)."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if "token" in name and isinstance(value, str) and value:
            path = path.replace(value, "[hidden]")
    return path


def _start_request() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _finish_request(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    quiet = request.endpoint in QUIET_ENDPOINTS and response.status_code == 200
    path = loggable_path()
    access_log.log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %s %sms %s",
        request.method,
        path,
        response.status_code,
        duration_ms,
        request.remote_addr,
        extra={
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
        },
    )
    return response


def init_app(app: Flask) -> None:
    if not app.testing:  # the test runner captures log records itself
        configure_logging(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.add_template_global(request_id)
