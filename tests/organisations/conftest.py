"""Fixtures for the organisations tests."""

import pytest


@pytest.fixture
def write_csv(tmp_path):
    """Write a subscribers file (text as UTF-8, or bytes as they are) and return its path."""

    def write(content: str | bytes, name: str = "subscribers.csv"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write
