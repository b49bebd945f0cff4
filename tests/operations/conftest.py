"""Helpers for the operations tests: a separate app built with changed settings."""

import pytest

from config import TestingConfig
from portal import create_app


@pytest.fixture
def make_app(tmp_path):
    """Build another app from TestingConfig with ``settings`` changed (its own database, empty
    unless migrated; files in a temporary folder)."""

    def make(**settings):
        config = type("Changed", (TestingConfig,), {"STORAGE_ROOT": str(tmp_path), **settings})
        return create_app(config)

    return make
