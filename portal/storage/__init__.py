"""Files that are not public (report PDFs, covers, stamped copies), behind one small interface.

``get_storage()`` returns the backend ``STORAGE_BACKEND`` names: ``local`` (a folder,
``STORAGE_ROOT``) or ``s3`` (a private bucket on an S3-compatible object store, ``S3_*``). Both
offer ``exists``, ``save``, ``writer``, ``open``, ``size``, ``send`` and ``check``, and refuse the
same keys (:func:`checked_key`). Nothing outside this package may assume a key is a local path.
"""

import os
import threading

from flask import current_app

from portal.storage.base import (
    COPIES_FOLDER,
    InvalidKey,
    Storage,
    StorageUnavailable,
    attachment,
    checked_key,
)
from portal.storage.local import LocalStorage
from portal.storage.settings import problems

__all__ = [
    "COPIES_FOLDER",
    "InvalidKey",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageUnavailable",
    "attachment",
    "checked_key",
    "download_origin",
    "get_storage",
    "problems",
]


def __getattr__(name: str):
    # The S3 backend (and boto3 under it, tens of megabytes) is imported only where it is used.
    if name in ("S3Storage", "make_client"):
        from portal.storage import s3

        return getattr(s3, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_EXTENSION = "portal.storage"
_SETTINGS = (
    "STORAGE_BACKEND",
    "STORAGE_ROOT",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_REGION",
    "S3_PREFIX",
    "S3_DOWNLOADS",
    "S3_PRESIGNED_SECONDS",
)
_lock = threading.Lock()


def get_storage() -> Storage:
    """The configured backend, built once per application and process (the S3 client and its
    connection pool are shared by every request and thread of a gunicorn worker, never across a
    fork) and again only if the settings change."""
    app = current_app._get_current_object()
    settings = (os.getpid(), *(app.config.get(name) for name in _SETTINGS))
    built = app.extensions.get(_EXTENSION)
    if built is None or built[0] != settings:
        with _lock:
            built = app.extensions.get(_EXTENSION)
            if built is None or built[0] != settings:
                built = (settings, _build(app.config))
                app.extensions[_EXTENSION] = built
    return built[1]


def _build(config) -> Storage:
    if found := problems(config):
        raise ValueError(" ".join(found))
    if config.get("STORAGE_BACKEND", "local") == "local":
        return LocalStorage(config["STORAGE_ROOT"])
    if config.get("DOWNLOAD_OFFLOAD"):
        # Not an error: the setting may be shared with a local-files deployment.
        current_app.logger.warning(
            "DOWNLOAD_OFFLOAD does not apply to object storage and is ignored; "
            "S3_DOWNLOADS=presigned keeps downloads off the app servers"
        )
    from portal.storage.s3 import S3Storage, make_client

    return S3Storage(
        make_client(endpoint_url=config.get("S3_ENDPOINT_URL", ""), region=config["S3_REGION"]),
        config.get("S3_BUCKET", ""),
        prefix=config.get("S3_PREFIX", ""),
        downloads=config.get("S3_DOWNLOADS", "presigned"),
        presigned_seconds=config["S3_PRESIGNED_SECONDS"],
    )


def download_origin() -> str:
    """The other origin downloads are redirected to (pre-signed URLs on the object store), or ""
    when downloads come from the portal itself. The Content-Security-Policy allows it as a form
    target, because a download button's form ends on that origin."""
    config = current_app.config
    if config.get("STORAGE_BACKEND") != "s3" or config.get("S3_DOWNLOADS") != "presigned":
        return ""
    if problems(config):  # refused at start-up in production; no page may fail over it elsewhere
        return ""
    return get_storage().download_origin()
