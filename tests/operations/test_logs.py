"""Request ids (header, logs, error pages) and the log lines: JSON or text, one access line per
request, nothing secret in them."""

import io
import json
import logging
import logging.handlers
import re

import pytest

from portal.catalogue import cache as catalogue_cache
from portal.operations import logs


@pytest.fixture
def log_lines(caplog):
    """What the portal's log handler writes while the test runs (at INFO), in JSON or text."""
    caplog.set_level(logging.INFO)
    streams = []

    def capture(log_format: str = "json") -> io.StringIO:
        stream = io.StringIO()
        handler = logs.log_handler(log_format, stream)
        logging.getLogger().addHandler(handler)
        streams.append((stream, handler))
        return stream

    yield capture
    for _, handler in streams:
        logging.getLogger().removeHandler(handler)


def json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_every_response_carries_a_new_request_id(client):
    first = client.get("/").headers["X-Request-ID"]
    second = client.get("/").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("a1b2c3.d4_e5-f6", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("has spaces", False),
        ("<script>", False),
        ("", False),
    ],
)
def test_a_sane_incoming_request_id_is_kept(client, given, kept):
    answered = client.get("/", headers={"X-Request-ID": given}).headers["X-Request-ID"]
    assert (answered == given) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", answered)


def test_error_pages_show_the_reference(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "quote-me-42"})
    assert response.status_code == 404
    assert "Reference: <span" in response.get_data(as_text=True)
    assert ">quote-me-42</span>" in response.get_data(as_text=True)


def test_every_line_during_a_request_carries_its_id(app, client, monkeypatch, log_lines):
    def broken():
        logging.getLogger("portal.catalogue").warning("about to fail")
        raise RuntimeError("something went wrong")

    monkeypatch.setattr(catalogue_cache, "published_reports", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    stream = log_lines("json")
    response = client.get(
        "/reports?token=query-secret", headers={"X-Request-ID": "trace-7", "Cookie": "a=b"}
    )
    assert response.status_code == 500
    assert "Reference: <span" in response.get_data(as_text=True)
    lines = json_lines(stream)
    assert [line["logger"] for line in lines] == [
        "portal.catalogue",
        "portal",  # Flask logs the unhandled error, with its traceback
        "portal.access",
    ]
    assert {line["request_id"] for line in lines} == {"trace-7"}
    access = lines[-1]
    assert access["level"] == "INFO"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/reports", 500)
    assert access["remote_addr"] == "127.0.0.1"
    assert isinstance(access["duration_ms"], float)
    assert "time" in access
    assert "RuntimeError: something went wrong" in lines[1]["exc_info"]
    assert "query-secret" not in stream.getvalue()


def test_a_token_in_the_path_is_hidden(client, log_lines):
    stream = log_lines("json")
    client.get("/verify-email/path-secret-token")
    (access,) = [line for line in json_lines(stream) if line["logger"] == "portal.access"]
    assert access["path"] == "/verify-email/[hidden]"
    assert "path-secret-token" not in stream.getvalue()


def test_text_lines_carry_the_request_id(client, log_lines):
    stream = log_lines("text")
    client.get("/accessibility", headers={"X-Request-ID": "text-1"})
    (line,) = stream.getvalue().splitlines()
    assert re.search(
        r" INFO portal\.access \[text-1\] GET /accessibility 200 [\d.]+ms 127\.0\.0\.1$", line
    )


def test_lines_outside_a_request_have_no_id(log_lines):
    stream = log_lines("json")
    logging.getLogger("portal.jobs").warning("from a background job")
    assert json_lines(stream)[0]["request_id"] == "-"


def test_successful_probes_stay_out_of_the_access_log(client, monkeypatch, log_lines):
    stream = log_lines("json")
    client.get("/healthz")
    client.get("/readyz")
    assert stream.getvalue() == ""
    monkeypatch.setattr("portal.operations.services.check_storage", lambda: 1 / 0)
    client.get("/readyz")
    paths = [line.get("path") for line in json_lines(stream)]
    assert paths == [None, "/readyz"]  # the failed check's warning, then the access line


@pytest.fixture
def configured():
    """Run ``configure_logging`` as a server does; put the test runner's set-up back after."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    yield logs.configure_logging
    for handler in root.handlers[:]:
        if handler not in before[0]:
            root.removeHandler(handler)
    root.setLevel(before[1])


def test_configuring_again_keeps_one_portal_handler(configured):
    configured("json", "DEBUG")
    configured("text", "WARNING")
    root = logging.getLogger()
    handlers = [h for h in root.handlers if isinstance(h, logs.PortalLogHandler)]
    assert len(handlers) == 1
    assert not isinstance(handlers[0].formatter, logs.JsonFormatter)
    assert root.level == logging.WARNING


def test_the_portal_handler_writes_to_stderr_as_it_is_then(configured, capsys):
    configured("text", "INFO")
    logging.getLogger("portal.test").info("written now")
    assert "INFO portal.test [-] written now" in capsys.readouterr().err


def test_the_development_server_does_not_repeat_each_request(configured):
    configured("text", "INFO")
    record = logging.LogRecord(
        "werkzeug", logging.INFO, "", 0, '127.0.0.1 - - [date] "%s" %s %s', ("GET /?t=1",), None
    )
    assert not logging.getLogger("werkzeug").filter(record)


def test_lines_written_in_the_background_are_the_same_lines(app, configured, capsys):
    """A gunicorn worker's request threads queue their lines; its own thread writes them, with
    the request's id, the extra fields and the traceback, and all of them before it stops."""
    configured("json", "INFO")
    stop = logs.write_in_background()
    try:
        with app.test_request_context("/reports", headers={"X-Request-ID": "queued-1"}):
            logging.getLogger("portal.test").info("%s lines", "queued", extra={"status": 200})
            try:
                raise ValueError("went wrong")
            except ValueError:
                logging.getLogger("portal.test").exception("failed")
        for number in range(200):
            logging.getLogger("portal.test").info("line %d", number)
    finally:
        stop()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0] == {
        "level": "INFO",
        "logger": "portal.test",
        "request_id": "queued-1",
        "message": "queued lines",
        "status": 200,
        "time": lines[0]["time"],
    }
    assert lines[1]["request_id"] == "queued-1" and lines[1]["message"] == "failed"
    assert 'raise ValueError("went wrong")' in lines[1]["exc_info"]
    assert [line["message"] for line in lines[2:]] == [f"line {n}" for n in range(200)]
    assert {line["request_id"] for line in lines[2:]} == {"-"}
    # Stopped: the portal's own handler writes as it goes again.
    root = logging.getLogger()
    assert [h for h in root.handlers if isinstance(h, logs.PortalLogHandler)]
    assert not [h for h in root.handlers if isinstance(h, logging.handlers.QueueHandler)]
