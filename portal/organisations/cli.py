"""Command-line tasks for organisations: ``flask --app wsgi import-subscribers FILE.csv``."""

from typing import BinaryIO

import click
from flask.cli import with_appcontext

from portal.extensions import db
from portal.organisations.importer import ImportRejected, apply_import, plan_import
from portal.organisations.subscriber_csv import MAX_FILE_BYTES


def _rejected(file_name: str, problems: list[str]) -> None:
    click.echo(f"{file_name} was not imported and nothing was written. Problems:", err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    raise SystemExit(1)


def _list(heading: str, changes: list[str]) -> None:
    click.echo(heading)
    for change in changes:
        click.echo(f"  {change}")


@click.command("import-subscribers")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show what would change, and write nothing.")
@with_appcontext
def import_subscribers_command(file: BinaryIO, dry_run: bool) -> None:
    """Add the Insight subscribers in FILE, a CSV file with a header row.

    Columns: organisation, kind, domains, start date, end date and (optionally) member emails;
    domains and member emails are separated by semicolons. A file with any bad line is rejected
    whole and nothing is written; importing the same file again changes nothing.
    """
    # One byte over the limit is enough for the plan to say the file is too large.
    plan = plan_import(file.read(MAX_FILE_BYTES + 1))
    if plan.problems:
        _rejected(file.name, plan.problems)
    if not plan.changes:
        click.echo(f"Nothing to change: everything in {file.name} is already recorded.")
        return
    if dry_run:
        _list(f"Dry run, nothing written. Importing {file.name} would:", plan.changes)
        return
    try:
        changes = apply_import(plan)
    except ImportRejected as rejected:
        _rejected(file.name, rejected.problems)
    db.session.commit()
    _list(f"Imported {file.name}:", changes)
