"""Files in a private bucket on an S3-compatible object store (AWS S3, MinIO, Ceph…), through boto3.

Every app server sees the same files, so any number of them can run side by side. Objects are
written whole (a single PUT, or a multipart upload completed at the end), so a reader never sees
half an object. Downloads reach the browser either as a redirect to a short-lived pre-signed URL
on the store (the app server sends no bytes) or streamed through the app, by configuration.
"""

import logging
import mimetypes
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO
from urllib.parse import urlsplit

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from flask import Response, redirect, request
from werkzeug.exceptions import NotFound

from portal.storage.base import COPIES_FOLDER, StorageUnavailable, attachment, checked_key
from portal.storage.settings import DOWNLOAD_MODES

log = logging.getLogger(__name__)

MiB = 1024 * 1024
# Bytes handed to the WSGI server at a time when a download is streamed through the app.
STREAM_CHUNK = 256 * 1024
# open() keeps up to this much of an object in memory; a larger one goes to a temporary file.
SPOOL_LIMIT = 8 * MiB
_MISSING = {"404", "NoSuchKey", "NotFound"}


def _missing(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in _MISSING


def make_client(*, endpoint_url: str = "", region: str = ""):
    """A boto3 S3 client; credentials come from boto3's usual chain (environment, instance role…).

    Any endpoint other than AWS's own is addressed path-style (``http://host/bucket/key``), which
    every S3-compatible store understands. Time-outs are short so that a store that is down
    shows quickly (in /readyz, and as an error page rather than a hung request): two attempts of
    at most 3 seconds to connect and 10 to answer stay well inside the app server's 60.
    """
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        connect_timeout=3,
        read_timeout=10,
        retries={"mode": "standard", "max_attempts": 2},
    )
    # A session of its own: boto3's default session is shared module state, not thread-safe.
    session = boto3.session.Session()
    return session.client(
        "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
    )


class S3Storage:
    """Keys live in ``bucket`` under ``prefix`` (``reports/x.pdf`` is ``<prefix>reports/x.pdf``).

    ``downloads`` is "presigned" (``send`` redirects to a pre-signed GET URL valid for
    ``presigned_seconds``) or "stream" (``send`` streams the object through the app in chunks,
    with byte ranges and validators). The client is thread-safe and is shared by every request.
    """

    def __init__(
        self,
        client,
        bucket: str,
        *,
        prefix: str = "",
        downloads: str = "presigned",
        presigned_seconds: int = 60,
        multipart_threshold: int = 8 * MiB,
    ):
        if not bucket:
            raise ValueError("S3_BUCKET must name the bucket when STORAGE_BACKEND is s3")
        if downloads not in DOWNLOAD_MODES:
            raise ValueError(f"S3_DOWNLOADS must be one of {', '.join(DOWNLOAD_MODES)}")
        self.client = client
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.downloads = downloads
        self.presigned_seconds = presigned_seconds
        # Objects above the threshold are sent in parts of that size (S3's minimum part is 5 MiB).
        self.transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(multipart_threshold, 5 * MiB),
        )
        self._download_origin: str | None = None

    def _name(self, key: str) -> str:
        return self.prefix + checked_key(key)

    def exists(self, key: str) -> bool:
        name = self._name(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if _missing(error):
                return False
            raise
        return True

    def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``; readers see the old object or the new one, never a part."""
        self.client.put_object(
            Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=_content_type(key)
        )

    @contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        """A temporary file to write ``key`` through. It is uploaded (in parts when large) only
        when the block ends without an error; otherwise it is thrown away and nothing changes."""
        name = self._name(key)
        with tempfile.TemporaryFile() as tmp:
            yield tmp
            tmp.flush()
            tmp.seek(0)
            try:
                self.client.upload_fileobj(
                    tmp,
                    self.bucket,
                    name,
                    ExtraArgs={"ContentType": _content_type(key)},
                    Config=self.transfer,
                )
            except (BotoCoreError, ClientError) as error:
                raise StorageUnavailable(f"could not write {key}: {error}") from error

    def open(self, key: str) -> BinaryIO:
        """The object as a seekable file (pypdf and Pillow seek), fetched now: in memory when
        small, in a temporary file when large. FileNotFoundError when there is none."""
        name = self._name(key)
        copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 (returned open)
        try:
            self.client.download_fileobj(self.bucket, name, copy, Config=self.transfer)
        except ClientError as error:
            copy.close()
            if _missing(error):
                raise FileNotFoundError(key) from None
            raise
        except BaseException:
            copy.close()
            raise
        copy.seek(0)
        return copy

    def size(self, key: str) -> int:
        try:
            return self._head(key)["ContentLength"]
        except NotFound:
            raise FileNotFoundError(key) from None

    def _head(self, key: str) -> dict:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as error:
            if _missing(error):
                raise NotFound() from None
            raise

    def send(self, key: str, *, download_name: str, mimetype: str, offload: str = "") -> Response:
        """The download of ``key`` saved as ``download_name``: a redirect to a pre-signed URL, or
        the object streamed through the app (``S3_DOWNLOADS``). A missing object is a 404.

        ``offload`` (nginx X-Accel-Redirect, X-Sendfile) names a local file to the front web
        server, which has none here: it is ignored, and the pre-signed redirect is what keeps the
        bytes off the app servers.
        """
        if self.downloads == "presigned":
            return self._redirect(key, download_name, mimetype)
        return self._stream(key, download_name, mimetype)

    def presigned_url(self, key: str, *, download_name: str, mimetype: str) -> str:
        """A GET URL for the object, valid for ``presigned_seconds``, whose response saves it as
        ``download_name`` with the given type."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": self._name(key),
                "ResponseContentDisposition": attachment(download_name),
                "ResponseContentType": mimetype,
                "ResponseCacheControl": "private, no-cache",
            },
            ExpiresIn=self.presigned_seconds,
        )

    def _redirect(self, key: str, download_name: str, mimetype: str) -> Response:
        self._head(key)  # a missing object is our 404 page, not the store's error
        response = redirect(
            self.presigned_url(key, download_name=download_name, mimetype=mimetype), 302
        )
        # The URL expires: no browser or proxy may keep this redirect.
        response.headers["Cache-Control"] = "no-store"
        return response

    def _stream(self, key: str, download_name: str, mimetype: str) -> Response:
        head = self._head(key)
        size = head["ContentLength"]
        response = Response(mimetype=mimetype, direct_passthrough=True)
        response.headers["Content-Disposition"] = attachment(download_name)
        response.set_etag(head["ETag"].strip('"'))
        response.last_modified = head["LastModified"]
        response.cache_control.no_cache = True
        response.content_length = size
        # Werkzeug decides 200, 206 (with Content-Range), 304, 412 or 416 exactly as it does for a
        # local file; the body is then fetched for just the bytes that answer needs.
        response.make_conditional(request, accept_ranges=True, complete_length=size)
        if request.method == "HEAD" or response.status_code not in (200, 206):
            response.response = []
            return response
        fetch = {"Bucket": self.bucket, "Key": self._name(key), "IfMatch": head["ETag"]}
        if response.status_code == 206:
            first, stop = response.content_range.start, response.content_range.stop
            fetch["Range"] = f"bytes={first}-{stop - 1}"
        body = self.client.get_object(**fetch)["Body"]
        response.response = _Chunks(body)
        return response

    def download_origin(self) -> str:
        """The origin (scheme://host[:port]) that pre-signed URLs point at, which the
        Content-Security-Policy must allow as a form target: a subscriber's download button
        posts a form whose answer redirects there."""
        if self._download_origin is None:
            try:
                url = self.client.generate_presigned_url(
                    "get_object", Params={"Bucket": self.bucket, "Key": self.prefix + "x"}
                )
            except BotoCoreError:  # no credentials yet: no download can be signed either
                return ""
            parts = urlsplit(url)
            self._download_origin = f"{parts.scheme}://{parts.netloc}"
        return self._download_origin

    def check(self) -> None:
        """Raise StorageUnavailable unless an object can be written, with these credentials,
        where stamped copies are written (and removed again)."""
        probe = self._name(f"{COPIES_FOLDER}/readiness-check")
        try:
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
            self.client.delete_object(Bucket=self.bucket, Key=probe)
        except (BotoCoreError, ClientError) as error:
            message = f"the bucket {self.bucket} cannot be reached: {error}"
            raise StorageUnavailable(message) from None

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"


class _Chunks:
    """The object's body as a WSGI iterable of chunks; closing it (the server always does, even
    when the browser goes away) releases the connection to the store."""

    def __init__(self, body):
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        return self._body.iter_chunks(STREAM_CHUNK)

    def close(self) -> None:
        self._body.close()


def _content_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
