"""Helpers for the operations tests: a separate app built with changed settings."""

import pytest

from config import TestingConfig
from portal import create_app
from portal.extensions import db


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build another app from TestingConfig with ``settings`` changed: the test run's database
    (on SQLite in memory, an empty one of its own), files in a temporary folder."""

    made = []

    def make(**settings):
        defaults = {"SQLALCHEMY_DATABASE_URI": database_url, "STORAGE_ROOT": str(tmp_path)}
        config = type("Changed", (TestingConfig,), {**defaults, **settings})
        made.append(create_app(config))
        return made[-1]

    yield make
    for app in made:  # close their database connections now, not whenever they are collected
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
