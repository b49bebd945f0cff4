"""A local S3 server and the settings that point the portal at it."""

import contextlib
import os
import uuid
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from portal.storage.s3 import make_client

BUCKET = "insight-test"


REGION = "eu-west-2"


AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "NO_PROXY": "127.0.0.1",
}


@dataclass
class S3Server:
    endpoint: str
    client: object
    server: ThreadedMotoServer


def start_s3_server() -> S3Server:
    """moto's S3 server on a free loopback port (chosen by the system), with the test bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    client = make_client(endpoint_url=endpoint, region=REGION)
    # moto keeps one store per process, shared by every server started in it.
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
    return S3Server(endpoint, client, server)


def fresh_prefix() -> str:
    """A folder of the bucket no other test uses, so tests never see each other's objects."""
    return f"test-{uuid.uuid4().hex[:12]}"


def use_s3(app, monkeypatch, endpoint: str, **overrides) -> str:
    """Point the portal at the test bucket for one test, under a fresh prefix (returned)."""
    settings = {
        "STORAGE_BACKEND": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": REGION,
        "S3_PREFIX": fresh_prefix(),
        "S3_DOWNLOADS": "presigned",
        "S3_PRESIGNED_SECONDS": 60,
        **overrides,
    }
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)
    return settings["S3_PREFIX"]
