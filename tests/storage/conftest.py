"""Both storage backends, the object store played by moto's S3 server (in this process, on
127.0.0.1, never the internet).

boto3 is given credentials and a region through the environment and told not to look anywhere
else (no ~/.aws files, no instance metadata service), so nothing leaves the machine.
"""

import pytest

from portal.storage import LocalStorage, S3Storage
from tests.storage.helpers import AWS_ENVIRONMENT, BUCKET, fresh_prefix, start_s3_server


@pytest.fixture(scope="session")
def aws_environment():
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            patch.delenv(name, raising=False)
        for name, value in AWS_ENVIRONMENT.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def s3_server(aws_environment):
    started = start_s3_server()
    yield started
    started.server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    """Each backend in turn: the same behaviour is expected of both."""
    if request.param == "local":
        return LocalStorage(tmp_path / "files")
    server = request.getfixturevalue("s3_server")
    return S3Storage(server.client, BUCKET, prefix=fresh_prefix())


@pytest.fixture
def s3_storage(s3_server):
    return S3Storage(s3_server.client, BUCKET, prefix=fresh_prefix())
