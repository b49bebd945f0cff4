"""Files that are not public (report PDFs, and later stamped copies), behind one small interface.

Keys are chosen by the portal, never taken from user input; they are still checked, so a bad key
can never reach outside the storage root.
"""

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import current_app

_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$")


class InvalidKey(ValueError):
    pass


class LocalStorage:
    """Files in a local directory (the laptop default)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key or len(key) > 200:
            raise InvalidKey(key)
        return self.root / key

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def save(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically: readers see the old file or the new one."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, path)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size


def get_storage() -> LocalStorage:
    return LocalStorage(current_app.config["STORAGE_ROOT"])
