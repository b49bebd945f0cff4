"""A write that fails (the disk full, the folder unusable) leaves no partial file and says the
storage is unavailable; the readiness check writes where stamped copies are written."""

import os

import pytest

from portal.storage import COPIES_FOLDER, LocalStorage, StorageUnavailable


def _files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def test_a_write_that_fails_as_it_is_finished_leaves_no_temporary_file(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path)

    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(StorageUnavailable, match="No space left"):
        storage.save("stamped/line-1.pdf", b"%PDF-1.4 a copy")
    assert _files(tmp_path) == []


def test_a_block_that_fails_leaves_no_temporary_file_and_its_error_stands(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError, match="damaged"), storage.writer("stamped/line-2.pdf") as out:
        out.write(b"%PDF-1.4 half")
        raise ValueError("the report is damaged")
    assert _files(tmp_path) == []


def test_the_readiness_check_writes_where_copies_go_and_leaves_nothing(tmp_path):
    LocalStorage(tmp_path).check()
    assert (tmp_path / COPIES_FOLDER).is_dir()
    assert _files(tmp_path) == []


def test_storage_where_copies_cannot_be_written_is_not_ready(tmp_path):
    (tmp_path / COPIES_FOLDER).write_bytes(b"not a folder")  # as unusable as a full disk
    with pytest.raises(StorageUnavailable, match="not writable"):
        LocalStorage(tmp_path).check()
