"""What every storage backend does, checked on each of them (local folder, S3 bucket)."""

import hashlib
import os

import pytest

from portal.storage import InvalidKey, S3Storage
from portal.storage.s3 import MiB
from tests.storage.helpers import BUCKET, fresh_prefix


def test_saved_files_read_back(storage):
    assert not storage.exists("reports/a-report.pdf")
    storage.save("reports/a-report.pdf", b"%PDF-1.4 content")
    assert storage.exists("reports/a-report.pdf")
    assert storage.size("reports/a-report.pdf") == 16
    with storage.open("reports/a-report.pdf") as f:
        assert f.read() == b"%PDF-1.4 content"


def test_a_saved_file_replaces_the_old_one(storage):
    storage.save("covers/c.png", b"old")
    storage.save("covers/c.png", b"new picture")
    with storage.open("covers/c.png") as f:
        assert f.read() == b"new picture"


def test_an_opened_file_can_be_read_in_any_order(storage):
    """pypdf and Pillow seek about the file they are given."""
    storage.save("reports/r.pdf", bytes(range(256)))
    with storage.open("reports/r.pdf") as f:
        f.seek(200)
        assert f.read(3) == bytes([200, 201, 202])
        f.seek(0)
        assert f.read(2) == bytes([0, 1])


def test_opening_a_missing_file_says_so(storage):
    with pytest.raises(FileNotFoundError):
        storage.open("reports/nothing-here.pdf")
    with pytest.raises(FileNotFoundError):
        storage.size("reports/nothing-here.pdf")


def test_a_writer_stores_what_was_written_when_the_block_ends(storage):
    with storage.writer("stamped/line-1.pdf") as target:
        target.write(b"part one, ")
        assert not storage.exists("stamped/line-1.pdf")  # nothing visible half-way
        target.write(b"part two")
    with storage.open("stamped/line-1.pdf") as f:
        assert f.read() == b"part one, part two"


def test_a_writer_that_fails_leaves_the_old_file_and_no_new_one(storage):
    storage.save("reports/kept.pdf", b"the original")
    with pytest.raises(RuntimeError), storage.writer("reports/kept.pdf") as target:
        target.write(b"half a replacement")
        raise RuntimeError("stamping failed")
    with pytest.raises(RuntimeError), storage.writer("reports/new.pdf") as target:
        target.write(b"half a file")
        raise RuntimeError("stamping failed")
    with storage.open("reports/kept.pdf") as f:
        assert f.read() == b"the original"
    assert not storage.exists("reports/new.pdf")


BAD_KEYS = [
    "../secret",
    "/etc/passwd",
    "reports/../../x",
    "reports//x",
    "",
    "Reports/X.pdf",
    "a\x00b",
    "reports/.hidden",
    "reports/x.pdf\n",
    "reports/x.pdf/",
    "reports\\x.pdf",
    "a" * 201,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_cannot_leave_the_storage_root(storage, key):
    with pytest.raises(InvalidKey):
        storage.save(key, b"x")
    with pytest.raises(InvalidKey):
        storage.exists(key)
    with pytest.raises(InvalidKey):
        storage.open(key)
    with pytest.raises(InvalidKey), storage.writer(key) as target:
        target.write(b"x")
    with pytest.raises(InvalidKey):
        storage.send(key, download_name="x.pdf", mimetype="application/pdf")


def test_s3_keys_live_under_the_prefix(s3_server):
    storage = S3Storage(s3_server.client, BUCKET, prefix=f"/{fresh_prefix()}/")
    storage.save("reports/r.pdf", b"x")
    listed = s3_server.client.list_objects_v2(Bucket=BUCKET, Prefix=storage.prefix)
    assert [o["Key"] for o in listed["Contents"]] == [f"{storage.prefix}reports/r.pdf"]
    assert storage.prefix.count("/") == 1 and not storage.prefix.startswith("/")
    head = s3_server.client.head_object(Bucket=BUCKET, Key=f"{storage.prefix}reports/r.pdf")
    assert head["ContentType"] == "application/pdf"


def test_a_large_file_is_uploaded_in_parts_and_read_back_whole(s3_server):
    storage = S3Storage(
        s3_server.client, BUCKET, prefix=fresh_prefix(), multipart_threshold=5 * MiB
    )
    block = os.urandom(MiB)
    with storage.writer("reports/big.pdf") as target:
        for _ in range(11):
            target.write(block)
    head = s3_server.client.head_object(Bucket=BUCKET, Key=f"{storage.prefix}reports/big.pdf")
    assert head["ETag"].strip('"').endswith("-3")  # three parts: 5 + 5 + 1 MiB
    with storage.open("reports/big.pdf") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(block * 11).digest()


def test_a_failed_large_upload_leaves_nothing_behind(s3_server):
    storage = S3Storage(
        s3_server.client, BUCKET, prefix=fresh_prefix(), multipart_threshold=5 * MiB
    )
    with pytest.raises(RuntimeError), storage.writer("reports/big.pdf") as target:
        target.write(os.urandom(6 * MiB))
        raise RuntimeError("the upload was refused")
    assert not storage.exists("reports/big.pdf")
    uploads = s3_server.client.list_multipart_uploads(Bucket=BUCKET, Prefix=storage.prefix)
    assert not uploads.get("Uploads")


def test_local_files_are_readable_by_the_group_of_the_web_server(tmp_path):
    from portal.storage.local import LocalStorage

    storage = LocalStorage(tmp_path)
    storage.save("reports/1/report.pdf", b"%PDF-1.7")
    mode = (tmp_path / "reports/1/report.pdf").stat().st_mode & 0o777
    assert mode == 0o640
