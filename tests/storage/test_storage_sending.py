"""Downloads as a browser gets them, from each backend and each way S3 can send them.

A tiny app serves ``/files/<key>`` through ``storage.send``. With S3 in "presigned" mode its answer
is a redirect; the test then fetches the pre-signed URL from moto with a plain HTTP client, the
way a browser follows the redirect, so every case below compares what finally arrives.
"""

import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest
from flask import Flask
from werkzeug.datastructures import Headers

from portal.storage import LocalStorage, S3Storage
from portal.storage.s3 import STREAM_CHUNK
from tests.storage.helpers import BUCKET, fresh_prefix

CONTENT = bytes(range(256)) * 40  # 10,240 bytes
NAME = "Digital inclusion \u2013 2026.pdf"  # not plain ASCII


@dataclass
class Answer:
    status: int
    headers: Headers
    body: bytes


@pytest.fixture(params=["local", "s3-stream", "s3-presigned"])
def storage(request, tmp_path):
    if request.param == "local":
        return LocalStorage(tmp_path)
    server = request.getfixturevalue("s3_server")
    mode = request.param.removeprefix("s3-")
    return S3Storage(server.client, BUCKET, prefix=fresh_prefix(), downloads=mode)


@pytest.fixture
def fetch(storage):
    """GET /files/<key> and, like a browser, follow a redirect to the object store."""
    app = Flask("files")

    @app.route("/files/<path:key>")
    def send(key):
        return storage.send(key, download_name=NAME, mimetype="application/pdf")

    client = app.test_client()

    def get(key: str, headers: dict | None = None, method: str = "GET") -> Answer:
        with client.open(f"/files/{key}", method=method, headers=headers or {}) as response:
            if response.status_code != 302:
                return Answer(response.status_code, response.headers, response.data)
            assert response.headers["Cache-Control"] == "no-store"
            url = response.headers["Location"]
        assert url.startswith("http://127.0.0.1:") and "X-Amz-Signature=" in url
        outside = urllib.request.Request(url, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(outside, timeout=30) as reply:
                return Answer(reply.status, Headers(list(reply.headers.items())), reply.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, Headers(list(error.headers.items())), error.read())

    return get


def test_a_whole_download(storage, fetch):
    storage.save("reports/r.pdf", CONTENT)
    answer = fetch("reports/r.pdf")
    assert answer.status == 200
    assert answer.body == CONTENT
    assert int(answer.headers["Content-Length"]) == len(CONTENT)
    assert answer.headers["Content-Type"] == "application/pdf"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Digital%20inclusion%20%E2%80%93%202026.pdf" in disposition
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.headers["ETag"] and answer.headers["Last-Modified"]


def test_a_resumed_download_gets_just_the_bytes_asked_for(storage, fetch):
    storage.save("reports/r.pdf", CONTENT)
    answer = fetch("reports/r.pdf", {"Range": "bytes=100-199"})
    assert answer.status == 206
    assert answer.body == CONTENT[100:200]
    assert answer.headers["Content-Range"] == f"bytes 100-199/{len(CONTENT)}"
    assert int(answer.headers["Content-Length"]) == 100
    tail = fetch("reports/r.pdf", {"Range": "bytes=-10"})
    assert (tail.status, tail.body) == (206, CONTENT[-10:])


def test_a_range_past_the_end_is_refused(storage, fetch):
    storage.save("reports/r.pdf", CONTENT)
    answer = fetch("reports/r.pdf", {"Range": f"bytes={len(CONTENT)}-"})
    assert answer.status == 416


def test_a_browser_with_the_current_copy_is_told_so(storage, fetch):
    storage.save("reports/r.pdf", CONTENT)
    etag = fetch("reports/r.pdf").headers["ETag"]
    answer = fetch("reports/r.pdf", {"If-None-Match": etag})
    assert answer.status == 304 and answer.body == b""


def test_a_missing_file_is_not_found(storage, fetch):
    assert fetch("reports/missing.pdf").status == 404


def test_a_head_request_sends_no_body(storage, fetch):
    storage.save("reports/r.pdf", CONTENT)
    answer = fetch("reports/r.pdf", method="HEAD")
    assert answer.status == 200 and answer.body == b""
    assert int(answer.headers["Content-Length"]) == len(CONTENT)


def test_a_presigned_url_expires(s3_server):
    storage = S3Storage(s3_server.client, BUCKET, prefix=fresh_prefix(), presigned_seconds=7)
    storage.save("reports/r.pdf", CONTENT)
    url = storage.presigned_url("reports/r.pdf", download_name=NAME, mimetype="application/pdf")
    assert "X-Amz-Expires=7&" in url


def test_streaming_fetches_only_the_range_and_sends_it_in_chunks(s3_server):
    storage = S3Storage(s3_server.client, BUCKET, prefix=fresh_prefix(), downloads="stream")
    big = bytes(range(256)) * 4096  # 1 MiB
    storage.save("reports/big.pdf", big)
    asked = []
    events = s3_server.client.meta.events

    def remember(params, **_):
        asked.append(params.get("Range"))

    events.register("provide-client-params.s3.GetObject", remember)
    app = Flask("files")
    try:
        with app.test_request_context(headers={"Range": "bytes=1000-"}):
            response = storage.send("reports/big.pdf", download_name="b.pdf", mimetype="x/y")
            chunks = list(response.response)
            response.close()
    finally:
        events.unregister("provide-client-params.s3.GetObject", remember)
    assert asked == [f"bytes=1000-{len(big) - 1}"]  # the store sends only those bytes
    assert response.is_streamed and len(chunks) > 1
    assert all(len(chunk) <= STREAM_CHUNK for chunk in chunks)
    assert b"".join(chunks) == big[1000:]
