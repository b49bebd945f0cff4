"""Files in a local directory: the laptop default, and a single server with a disk of its own."""

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from flask import Response, send_file
from werkzeug.exceptions import NotFound

from portal.storage.base import StorageUnavailable, attachment, checked_key

#: Owner reads and writes, the group (the front web server) reads, nobody else.
_FILE_MODE = 0o640


class LocalStorage:
    """Files under ``root``, one file per key (``reports/x.pdf`` is ``<root>/reports/x.pdf``)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def save(self, key: str, data: bytes) -> None:
        """Write ``data`` under ``key`` atomically: readers see the old file or the new one."""
        with self.writer(key) as target:
            target.write(data)

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
        # A temporary file is private to its owner (0600); the front web server, which sends
        # files by X-Accel-Redirect, reads them as a member of the portal's group.
        os.chmod(tmp.name, _FILE_MODE)
        os.replace(tmp.name, path)

    def open(self, key: str) -> BinaryIO:
        """The file, to read (seekable); FileNotFoundError when there is none."""
        return self._path(key).open("rb")

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def send(self, key: str, *, download_name: str, mimetype: str, offload: str = "") -> Response:
        """A response that streams the file, with its length, validators and byte ranges (for
        resumed downloads); or, with ``offload``, one that hands the file to the front web
        server: ``x-accel-redirect`` (nginx, internal location /protected/) or ``x-sendfile``.
        A missing file is a 404.
        """
        path = self._path(key)
        if not path.is_file():
            raise NotFound()
        if offload in ("x-accel-redirect", "x-sendfile"):
            response = Response(mimetype=mimetype)
            if offload == "x-accel-redirect":
                response.headers["X-Accel-Redirect"] = f"/protected/{key}"
            else:
                response.headers["X-Sendfile"] = str(path)
            response.headers["Content-Disposition"] = attachment(download_name)
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

    def check(self) -> None:
        """Raise StorageUnavailable unless the root is a folder this process can write to."""
        if not self.root.is_dir():
            raise StorageUnavailable(f"the storage folder {self.root} does not exist")
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageUnavailable(f"the storage folder {self.root} is not writable")

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"
