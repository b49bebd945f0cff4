import pytest

from portal.storage import InvalidKey, LocalStorage


def test_saved_files_read_back(tmp_path):
    storage = LocalStorage(tmp_path)
    storage.save("reports/a-report.pdf", b"%PDF-1.4 content")
    assert storage.exists("reports/a-report.pdf")
    assert storage.size("reports/a-report.pdf") == 16
    with storage.open("reports/a-report.pdf") as f:
        assert f.read() == b"%PDF-1.4 content"


@pytest.mark.parametrize(
    "key",
    [
        "../secret",
        "/etc/passwd",
        "reports/../../x",
        "reports//x",
        "",
        "Reports/X.pdf",
        "a\x00b",
        "reports/.hidden",
        "a" * 201,
    ],
)
def test_keys_cannot_leave_the_storage_root(tmp_path, key):
    storage = LocalStorage(tmp_path)
    with pytest.raises(InvalidKey):
        storage.save(key, b"x")
