"""The schema exists only through migrations, and they describe exactly what the models say."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.db_types import compared_on
from portal.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context():
        connection = db.session.connection()
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": compared_on(connection.dialect.name)},
        )
        assert compare_metadata(context, db.metadata) == []
