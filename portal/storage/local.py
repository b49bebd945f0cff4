"""Files in a local directory: the laptop default, and a single server with a disk of its own."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from flask import Response, send_file
from werkzeug.exceptions import NotFound

from portal.storage.base import COPIES_FOLDER, StorageUnavailable, attachment, checked_key

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
        without an error, so a reader never sees half a file. Whatever fails (the block, a full
        disk when the last bytes are flushed, the final rename), the temporary file is removed;
        a folder that cannot be written to raises StorageUnavailable."""
        path = self._path(key)
        tmp_name = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp_name = tmp.name
                yield tmp
            # A temporary file is private to its owner (0600); the front web server, which
            # sends files by X-Accel-Redirect, reads them as a member of the portal's group.
            os.chmod(tmp_name, _FILE_MODE)
            os.replace(tmp_name, path)
        except BaseException as error:
            if tmp_name is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
            if isinstance(error, OSError):
                raise StorageUnavailable(f"could not write {key}: {error}") from error
            raise

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
        """Raise StorageUnavailable unless a file can be written in the folder stamped copies
        are written to (a full disk or a read-only mount fails here, where a look at the
        folder's permissions would pass), and removed again."""
        if not self.root.is_dir():
            raise StorageUnavailable(f"the storage folder {self.root} does not exist")
        try:
            with self.writer(f"{COPIES_FOLDER}/readiness-check") as probe:
                probe.write(b"ok")
        except StorageUnavailable as error:
            message = f"the storage folder {self.root} is not writable: {error}"
            raise StorageUnavailable(message) from None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(f"{COPIES_FOLDER}/readiness-check"))

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"
