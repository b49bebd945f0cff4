"""What every storage backend shares: the rule for keys, the errors, and the interface."""

import re
from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol
from urllib.parse import quote

from flask import Response

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")
MAX_KEY_LENGTH = 200
#: The folder (key prefix) personalised copies are written to when they are stamped.
COPIES_FOLDER = "stamped"


class InvalidKey(ValueError):
    pass


class StorageUnavailable(Exception):
    """The store cannot be reached or written to (the message says why)."""


def checked_key(key: str) -> str:
    """``key`` itself when it is a key the portal may use; raises InvalidKey otherwise.

    Keys are chosen by the portal, never taken from user input; they are still checked, so a bad
    key can never reach outside the storage root (or the bucket's prefix).
    """
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or ".." in key:
        raise InvalidKey(key)
    if not _KEY.fullmatch(key):
        raise InvalidKey(key)
    return key


def attachment(name: str) -> str:
    """A Content-Disposition value that saves the download as ``name`` (any Unicode)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


class Storage(Protocol):
    """The interface every backend offers (``get_storage()`` returns the configured one)."""

    def exists(self, key: str) -> bool: ...

    def save(self, key: str, data: bytes) -> None: ...

    def writer(self, key: str) -> AbstractContextManager[BinaryIO]: ...

    def open(self, key: str) -> BinaryIO: ...

    def size(self, key: str) -> int: ...

    def send(
        self, key: str, *, download_name: str, mimetype: str, offload: str = ""
    ) -> Response: ...

    def check(self) -> None: ...
