"""catalogue search: authors, ISBN and edition of reports, topics, and the full-text index

Revision ID: 0027_catalogue_search
Revises: 0026_report_media
Create Date: 2026-12-04 21:50:00

Reports gain their authors, ISBN-13 and edition line, and topics that administrators file them
under (``topics`` and ``report_topics``). The catalogue's search reads the title, authors, summary
and contents: on PostgreSQL through ``reports.search_document``, their weighted tsvector kept
by PostgreSQL itself (a stored generated column, ``SEARCH_DOCUMENT`` below: the title and
authors weigh most, then the summary, then the contents), and a GIN index on it built concurrently so the catalogue stays readable. Adding a stored column
rewrites ``reports``, which holds hundreds of rows, not millions: a moment's lock. Kept in a
column, the document is worked out once per change, not for every row a search reads, nor again
to rank the matches. On SQLite, through an FTS5 table over ``reports`` that triggers keep up to
date.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0027_catalogue_search"
down_revision = "0026_report_media"
branch_labels = None
depends_on = None

SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(authors, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(summary, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(contents, '')), 'C')"
)
COLUMNS = "title, authors, summary, contents"
OLD = "old.id, old.title, old.authors, old.summary, old.contents"
NEW = "new.id, new.title, new.authors, new.summary, new.contents"
SQLITE_SEARCH = [
    f"CREATE VIRTUAL TABLE report_search USING fts5({COLUMNS}, content='reports', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN "
    f"INSERT INTO report_search(rowid, {COLUMNS}) VALUES ({NEW}); END",
    "CREATE TRIGGER report_search_delete AFTER DELETE ON reports BEGIN "
    f"INSERT INTO report_search(report_search, rowid, {COLUMNS}) VALUES ('delete', {OLD}); END",
    f"CREATE TRIGGER report_search_update AFTER UPDATE OF {COLUMNS} ON reports BEGIN "
    f"INSERT INTO report_search(report_search, rowid, {COLUMNS}) VALUES ('delete', {OLD}); "
    f"INSERT INTO report_search(rowid, {COLUMNS}) VALUES ({NEW}); END",
    "INSERT INTO report_search(report_search) VALUES ('rebuild')",
]


def upgrade():
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("authors", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("isbn", sa.String(length=13), nullable=True))
        batch_op.add_column(
            sa.Column("edition", sa.String(length=200), server_default="", nullable=False)
        )

    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=90), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
        sa.UniqueConstraint("name", name=op.f("uq_topics_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_topics_slug")),
    )
    op.create_table(
        "report_topics",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_topics_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_report_topics_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "topic_id", name=op.f("pk_report_topics")),
    )
    op.create_index(op.f("ix_report_topics_topic_id"), "report_topics", ["topic_id"], unique=False)

    if op.get_context().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE reports ADD COLUMN search_document tsvector "
            f"GENERATED ALWAYS AS ({SEARCH_DOCUMENT}) STORED"
        )
        with op.get_context().autocommit_block():
            op.execute(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_reports_search ON reports "
                "USING gin (search_document)"
            )
    elif op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade():
    if op.get_context().dialect.name == "postgresql":
        with op.get_context().autocommit_block():
            op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_reports_search")
        op.execute("ALTER TABLE reports DROP COLUMN IF EXISTS search_document")
    elif op.get_context().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS report_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS report_search")

    op.drop_index(op.f("ix_report_topics_topic_id"), table_name="report_topics")
    op.drop_table("report_topics")
    op.drop_table("topics")
    # Dropped in place (SQLite 3.35 or later): copying the table is refused while formats and
    # order lines point at its rows.
    for column in ("edition", "isbn", "authors"):
        op.execute(f"ALTER TABLE reports DROP COLUMN {column}")
