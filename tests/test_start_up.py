"""A web server starts without the libraries only some requests need (they are imported where
used), and the migration commands still work."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_AT_START_UP = ("flask_migrate", "alembic", "boto3", "stripe", "reportlab", "pypdf", "PIL")


def test_the_app_starts_without_the_libraries_it_imports_where_used(tmp_path):
    check = f"import sys, wsgi; print(' '.join(m for m in {NOT_AT_START_UP!r} if m in sys.modules))"
    environment = {
        **os.environ,
        "PORTAL_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path}/portal.db",
        "STORAGE_ROOT": str(tmp_path / "storage"),
        "REDIS_URL": "",
    }
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", check],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == ""


def test_the_migration_commands_load_when_asked_for(runner):
    listed = runner.invoke(args=["db", "--help"])
    assert listed.exit_code == 0 and "upgrade" in listed.output
    assert runner.invoke(args=["db", "heads"]).exit_code == 0  # Alembic prints past the runner
    assert runner.invoke(args=["db", "no-such-command"]).exit_code == 2
