"""Errors go to Sentry only when SENTRY_DSN is set, tagged with the request id, without cookies,
authorisation headers, query strings or form fields."""

import gzip
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sentry_sdk

from portal.operations.error_reporting import scrub_event

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(18410, 18420)

# Runs in its own process: the SDK patches Flask and logging for the whole process it starts in.
REPORTING_APP = """
import sys
import sentry_sdk
from config import TestingConfig
from portal import create_app

class Reporting(TestingConfig):
    SENTRY_DSN = sys.argv[1]
    PROPAGATE_EXCEPTIONS = False

app = create_app(Reporting)

@app.route("/fails")
def fails():
    raise RuntimeError("the report could not be stamped")

response = app.test_client().get(
    "/fails?token=query-secret",
    headers={
        "X-Request-ID": "report-me-1",
        "Cookie": "session=cookie-secret",
        "Authorization": "Bearer header-secret",
    },
)
print(response.status_code, response.headers["X-Request-ID"])
sentry_sdk.flush(timeout=10)
"""


@pytest.fixture
def collector():
    """A stand-in for Sentry on 127.0.0.1: it keeps the bodies of what it is sent."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            received.append(body.decode())
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    for port in PORTS:
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            break
        except OSError:
            continue
    else:
        pytest.fail("no free port for the stand-in")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield port, received
    server.shutdown()
    server.server_close()


def test_nothing_is_started_without_a_dsn(make_app, monkeypatch):
    def must_not_start(*args, **kwargs):
        raise AssertionError("sentry_sdk.init was called")

    monkeypatch.setattr(sentry_sdk, "init", must_not_start)
    make_app(SENTRY_DSN="")
    assert not sentry_sdk.get_client().is_active()


def test_an_unhandled_error_is_reported_without_secrets(collector):
    port, received = collector
    run = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "-c", REPORTING_APP, f"http://publickey@127.0.0.1:{port}/1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["500", "report-me-1"]
    events = []
    for body in received:
        for line in body.splitlines():
            item = json.loads(line)
            if "exception" in item:
                events.append(item)
    assert events, received
    event = events[0]
    (exception,) = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == (
        "RuntimeError",
        "the report could not be stamped",
    )
    assert event["tags"]["request_id"] == "report-me-1"
    everything = "".join(received)
    for secret in ("cookie-secret", "header-secret", "query-secret"):
        assert secret not in everything


def test_the_scrubber_removes_what_could_carry_a_secret(app):
    event = {
        "request": {
            "url": "https://insight.example/orders/INS-1",
            "query_string": "token=abc",
            "cookies": {"session": "abc"},
            "data": {"password": "plum tractor"},
            "headers": {
                "Cookie": "session=abc",
                "Authorization": "Bearer abc",
                "Stripe-Signature": "t=1,v1=abc",
                "User-Agent": "Firefox",
            },
        }
    }
    with app.test_request_context(headers={"X-Request-ID": "scrub-1"}):
        scrubbed = scrub_event(event)
    assert scrubbed["request"] == {
        "url": "https://insight.example/orders/INS-1",
        "headers": {"User-Agent": "Firefox"},
    }
    assert scrubbed["tags"] == {"request_id": "scrub-1"}
