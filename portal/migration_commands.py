"""Database migrations (Flask-Migrate), loaded when a migration runs rather than in every process
that serves pages: with Alembic, Mako and Pygments under it, Flask-Migrate is about 11 MB of each
web server's memory and a good part of its start-up.

``portal.extensions.migrate`` is a ``DeferredMigrate``. ``init_app`` adds the ``flask db``
commands and keeps the app's migration settings; Flask-Migrate is imported, and set up for that
app exactly as ``Migrate.init_app`` would, the first time the app's migrations are used (a
``flask db`` command, ``flask_migrate.upgrade()``, or ``get_config``).
"""

import click
from flask import Flask, current_app, g
from flask.cli import with_appcontext


class DeferredMigrate:
    """Stands for ``flask_migrate.Migrate`` until a migration is needed."""

    def __init__(self) -> None:
        self._migrate = None

    def init_app(self, app: Flask, db, **settings) -> None:
        app.extensions["migrate"] = _DeferredSettings(self, app, db, settings)
        app.cli.add_command(migration_commands)

    def set_up(self, app: Flask, db, settings: dict):
        """Flask-Migrate's settings for ``app`` (importing it and setting it up first)."""
        from flask_migrate import Migrate

        if self._migrate is None:
            self._migrate = Migrate()
        self._migrate.init_app(app, db, **settings)  # replaces app.extensions["migrate"]
        return app.extensions["migrate"]

    def get_config(self, *args, **kwargs):
        """Alembic's configuration for the current app (``Migrate.get_config``)."""
        return current_app.extensions["migrate"].migrate.get_config(*args, **kwargs)


class _DeferredSettings:
    """``app.extensions["migrate"]`` until first used; then Flask-Migrate's own."""

    def __init__(self, owner: DeferredMigrate, app: Flask, db, settings: dict) -> None:
        self._owner, self._app, self._db, self._settings = owner, app, db, settings

    def __getattr__(self, name: str):
        return getattr(self._owner.set_up(self._app, self._db, self._settings), name)


def _commands() -> click.Group:
    from flask_migrate.cli import db

    return db


class _MigrationCommands(click.Group):
    """Flask-Migrate's ``db`` commands, imported when one of them is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return _commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return _commands().get_command(ctx, name)


@click.group("db", cls=_MigrationCommands)
@click.option(
    "-d", "--directory", default=None, help='Migration script directory (default is "migrations")'
)
@click.option(
    "-x", "--x-arg", multiple=True, help="Additional arguments consumed by custom env.py scripts"
)
@with_appcontext
def migration_commands(directory: str | None, x_arg: tuple[str, ...]) -> None:
    """Perform database migrations."""
    g.directory = directory  # read by Flask-Migrate's commands, as its own group does
    g.x_arg = x_arg
