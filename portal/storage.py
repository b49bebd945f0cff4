"""Files that are not public (report PDFs, and later stamped copies), behind one small interface.

Keys are chosen by the portal, never taken from user input; they are still checked, so a bad key
can never reach outside the storage root.
"""

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, current_app, send_file

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

    @contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        """A file to write ``key`` through; it replaces the old file only when the block ends
        without an error, so a reader never sees half a file."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
            try:
                yield tmp
            except BaseException:
                tmp.close()
                os.unlink(tmp.name)
                raise
        os.replace(tmp.name, path)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def send(self, key: str, *, download_name: str, mimetype: str, offload: str = "") -> Response:
        """A response that streams the file, with its length, validators and byte ranges (for
        resumed downloads); or, with ``offload``, one that hands the file to the front web
        server: ``x-accel-redirect`` (nginx, internal location /protected/) or ``x-sendfile``.
        """
        path = self._path(key)
        if offload in ("x-accel-redirect", "x-sendfile"):
            response = Response(mimetype=mimetype)
            if offload == "x-accel-redirect":
                response.headers["X-Accel-Redirect"] = f"/protected/{key}"
            else:
                response.headers["X-Sendfile"] = str(path)
            response.headers["Content-Disposition"] = _attachment(download_name)
            return response
        return send_file(
            path,
            mimetype=mimetype,
            as_attachment=True,
            download_name=download_name,
            conditional=True,
            etag=True,
            max_age=0,
        )

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def check(self) -> None:
        """Raise unless the root folder exists and this process may write to it."""
        if not self.root.is_dir():
            raise OSError(f"storage folder {self.root} does not exist")
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise OSError(f"storage folder {self.root} is not writable")


def get_storage() -> LocalStorage:
    return LocalStorage(current_app.config["STORAGE_ROOT"])


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
