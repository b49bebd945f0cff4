"""Helpers for the operations tests: a separate app built with changed settings."""

import pytest

from config import TestingConfig
from portal import create_app


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build another app from TestingConfig with ``settings`` changed: the test run's database
    (on SQLite in memory, an empty one of its own), files in a temporary folder."""

    def make(**settings):
        defaults = {"SQLALCHEMY_DATABASE_URI": database_url, "STORAGE_ROOT": str(tmp_path)}
        config = type("Changed", (TestingConfig,), {**defaults, **settings})
        return create_app(config)

    return make
