"""Uniquely named PostgreSQL databases, created for a test and dropped after it."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import make_url


@contextmanager
def scratch_database(server_url: str, prefix: str = "portal_test") -> Iterator[str]:
    """Create an empty database on the server ``server_url`` names; yield its URL; drop it.

    The name is unique, so runs on the same server never collide. Connections still open at the
    end (a server process left behind by a failed test) are cut off by ``WITH (FORCE)``.
    """
    import psycopg

    server = make_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
