"""``check()`` (for /readyz), choosing the backend from the settings, and the start-up checks."""

import os

import pytest

from portal.storage import LocalStorage, S3Storage, StorageUnavailable, get_storage, problems
from tests.storage.helpers import BUCKET, start_s3_server, use_s3


def test_a_writable_local_folder_is_ready(tmp_path):
    LocalStorage(tmp_path).check()


def test_a_missing_local_folder_is_not_ready(tmp_path):
    with pytest.raises(StorageUnavailable, match="does not exist"):
        LocalStorage(tmp_path / "not-mounted").check()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_local_folder_is_not_ready(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StorageUnavailable, match="not writable"):
            LocalStorage(tmp_path).check()
    finally:
        tmp_path.chmod(0o700)


def test_a_reachable_bucket_is_ready(s3_storage):
    s3_storage.check()


def test_a_missing_bucket_is_not_ready(s3_server):
    with pytest.raises(StorageUnavailable, match="no-such-bucket"):
        S3Storage(s3_server.client, "no-such-bucket").check()


def test_a_store_that_is_down_is_not_ready(aws_environment):
    server = start_s3_server()
    storage = S3Storage(server.client, BUCKET)
    storage.check()
    server.server.stop()
    with pytest.raises(StorageUnavailable, match=BUCKET):
        storage.check()


def test_the_backend_is_built_once_per_app_and_follows_the_settings(app, s3_server, monkeypatch):
    with app.app_context():
        local = get_storage()
        assert isinstance(local, LocalStorage) and get_storage() is local
        use_s3(app, monkeypatch, s3_server.endpoint, S3_PREFIX="settings-test")
        s3 = get_storage()
        assert isinstance(s3, S3Storage) and get_storage() is s3
        assert (s3.bucket, s3.prefix, s3.downloads) == (BUCKET, "settings-test/", "presigned")
        assert s3.client.meta.endpoint_url == s3_server.endpoint
        s3.check()
    with app.app_context():
        assert get_storage() is s3  # the client outlives the request that built it


def test_object_storage_ignores_the_web_server_offload(app, s3_server, monkeypatch, caplog):
    use_s3(app, monkeypatch, s3_server.endpoint, S3_DOWNLOADS="stream")
    monkeypatch.setitem(app.config, "DOWNLOAD_OFFLOAD", "x-accel-redirect")
    with app.test_request_context():
        storage = get_storage()
        storage.save("reports/r.pdf", b"%PDF-1.4")
        response = storage.send(
            "reports/r.pdf", download_name="r.pdf", mimetype="application/pdf", offload="x-sendfile"
        )
        assert "X-Accel-Redirect" not in response.headers and "X-Sendfile" not in response.headers
        assert b"".join(response.response) == b"%PDF-1.4"
        response.close()
    assert "DOWNLOAD_OFFLOAD does not apply to object storage" in caplog.text


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be one of local, s3"),
        ({"S3_BUCKET": ""}, "S3_BUCKET must name the bucket"),
        ({"S3_DOWNLOADS": "email"}, "S3_DOWNLOADS must be one of presigned, stream"),
        ({"S3_PRESIGNED_SECONDS": 0}, "S3_PRESIGNED_SECONDS must be between 1 and 604800"),
        ({"S3_PRESIGNED_SECONDS": 8 * 24 * 3600}, "S3_PRESIGNED_SECONDS must be between"),
    ],
)
def test_unusable_storage_settings_are_named(settings, problem):
    good = {"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_DOWNLOADS": "stream"}
    good["S3_PRESIGNED_SECONDS"] = 60
    assert problems(good) == []
    [found] = problems({**good, **settings})
    assert problem in found


def test_the_laptop_default_needs_no_bucket():
    assert problems({"STORAGE_BACKEND": "local", "S3_BUCKET": ""}) == []


def test_production_refuses_to_start_without_a_bucket():
    from config import ProductionConfig

    settings = {name: getattr(ProductionConfig, name) for name in dir(ProductionConfig)}
    settings.update(STORAGE_BACKEND="s3", S3_BUCKET="")
    problems = ProductionConfig.problems(settings)
    assert "S3_BUCKET must name the bucket when STORAGE_BACKEND is s3." in problems
