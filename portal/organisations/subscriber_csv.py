"""Read an Insight subscribers CSV file into rows, listing every problem with its line.

The file has a header row naming the columns ``organisation``, ``kind``, ``domains``,
``start date`` and ``end date``, and optionally ``member emails``; domains and member emails are
separated by semicolons. Lines are counted as a spreadsheet shows them (the header is line 1); a
problem with the file as a whole has line 0. Reading knows nothing of the database.
"""

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email

from portal.organisations.models import OrganisationKind
from portal.organisations.services import normalise_domain

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
REQUIRED_COLUMNS = ("organisation", "kind", "domains", "start date", "end date")
MEMBERS_COLUMN = "member emails"
_NAME_LENGTH = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_Report = Callable[[str], None]
_KINDS = ", ".join(kind.label.lower() for kind in OrganisationKind)


@dataclass(frozen=True)
class SubscriberRow:
    """One line of the file as far as it could be read: None or left out where a value was bad."""

    line: int
    name: str | None
    kind: OrganisationKind | None
    domains: tuple[str, ...]
    period: tuple[date, date] | None
    member_emails: tuple[str, ...]


def organisation_key(name: str) -> str:
    """An organisation's name as it is matched: trimmed, inner spaces collapsed, lower-case."""
    return " ".join(name.split()).lower()


def decode(data: bytes | str) -> tuple[str, str | None]:
    """The file's text and None, or "" and the problem that stops the file being read at all.

    ``data`` is the file's bytes (UTF-8, with or without the byte-order mark Excel writes) or its
    text. A file larger than MAX_FILE_BYTES, or bytes that are not UTF-8, cannot be read.
    """
    if len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return "", f"The file is larger than {limit} MB: split it into smaller files."
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return "", (
            f"The file is not UTF-8 text (line {line} cannot be read): save it from your"
            " spreadsheet as “CSV UTF-8” and try again."
        )


def read_rows(text: str, problems: list[tuple[int, str]]) -> list[SubscriberRow] | None:
    """The file's lines below the header; None when the file as a whole cannot be used.

    Every problem found is appended to ``problems`` as (line, text); blank lines are skipped.
    """
    records = _records(text, problems)
    if records is None:
        return None
    if not records:
        problems.append((0, "The file is empty: it needs a header row and a row per subscriber."))
        return None
    columns = _columns(records[0], problems)
    if columns is None:
        return None
    rows = [
        _parse_row(line, cells, columns, problems)
        for line, cells in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in cells)
    ]
    if not rows:
        problems.append((0, "The file has a header row but no subscribers below it."))
        return None
    return rows


def _records(text: str, problems: list[tuple[int, str]]) -> list[list[str]] | None:
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if len(records) > MAX_ROWS:
                problems.append((0, f"The file has more than {MAX_ROWS:,} rows: split it up."))
                return None
            records.append(cells)
    except csv.Error as error:
        problems.append((len(records) + 1, f"cannot be read as CSV ({error})"))
        return None
    return records


def _columns(header: list[str], problems: list[tuple[int, str]]) -> dict[str, int] | None:
    """Which cell holds each column, matching names regardless of case and spacing."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = " ".join(cell.split()).lower()
        if name in columns and name in (*REQUIRED_COLUMNS, MEMBERS_COLUMN):
            problems.append((1, f"the column “{name}” appears more than once"))
        columns.setdefault(name, index)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        expected = ", ".join((*REQUIRED_COLUMNS, MEMBERS_COLUMN))
        problems.append(
            (
                1,
                f"missing required columns: {', '.join(missing)} (the header row names the"
                f" columns: {expected})",
            )
        )
    return None if problems else columns


def _parse_row(
    line: int, cells: list[str], columns: dict[str, int], problems: list[tuple[int, str]]
) -> SubscriberRow:
    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def problem(text: str) -> None:
        problems.append((line, text))

    return SubscriberRow(
        line=line,
        name=_parse_name(cell("organisation"), problem),
        kind=_parse_kind(cell("kind"), problem),
        domains=_parse_domains(cell("domains"), problem),
        period=_parse_period(cell("start date"), cell("end date"), problem),
        member_emails=_parse_emails(cell(MEMBERS_COLUMN), problem),
    )


def _parse_name(text: str, problem: _Report) -> str | None:
    name = " ".join(text.split())
    if not name:
        problem("organisation name is missing")
    elif len(name) > _NAME_LENGTH:
        problem(f"organisation name is longer than {_NAME_LENGTH} characters")
    else:
        return name
    return None


def _parse_kind(text: str, problem: _Report) -> OrganisationKind | None:
    """The enum value or its label, in any case: "fire and rescue", "Fire_and_rescue"."""
    if not text:
        problem(f"kind is missing (one of: {_KINDS})")
        return None
    try:
        return OrganisationKind("_".join(text.lower().replace("_", " ").split()))
    except ValueError:
        problem(f"kind “{text}” is not one of: {_KINDS}")
        return None


def _split(text: str) -> Iterator[str]:
    return (part.strip() for part in text.split(";") if part.strip())


def _parse_domains(text: str, problem: _Report) -> tuple[str, ...]:
    domains: dict[str, None] = {}
    for part in _split(text):
        domain = normalise_domain(part)
        if domain is None:
            problem(f"domain “{part}” is not an email domain like leeds.gov.uk")
        else:
            domains[domain] = None
    return tuple(domains)


def _parse_emails(text: str, problem: _Report) -> tuple[str, ...]:
    emails: dict[str, None] = {}
    for part in _split(text):
        try:
            validate_email(part, check_deliverability=False)
        except EmailNotValidError:
            problem(f"member email “{part}” is not a valid email address")
        else:
            emails[part.lower()] = None
    return tuple(emails)


def _parse_period(start: str, end: str, problem: _Report) -> tuple[date, date] | None:
    starts_on = _parse_date("start date", start, problem)
    ends_on = _parse_date("end date", end, problem)
    if starts_on is None or ends_on is None:
        return None
    if ends_on < starts_on:
        problem(f"end date {ends_on.isoformat()} is before start date {starts_on.isoformat()}")
        return None
    return starts_on, ends_on


def _parse_date(column: str, text: str, problem: _Report) -> date | None:
    """An ISO date (2026-04-01) or a UK one (01/04/2026)."""
    if not text:
        problem(f"{column} is missing")
        return None
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
        if match := _UK_DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    problem(f"{column} “{text}” is not a date: write it as 2026-04-01 or 01/04/2026")
    return None
