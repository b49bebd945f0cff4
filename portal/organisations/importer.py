"""Import Insight subscribers from a CSV file: first plan (check and describe), then apply.

The file is read by ``subscriber_csv``. An organisation is matched by name (ignoring case and
spacing) and may appear on several lines, one per subscription period. A file with any bad line is
rejected whole, with every problem listed, and nothing is written; importing the same file again
changes nothing.
"""

import enum
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.clock import long_date
from portal.extensions import db
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
)
from portal.organisations.services import public_sector_domains
from portal.organisations.shared_domains import why_domain_cannot_be_registered
from portal.organisations.subscriber_csv import (
    SubscriberRow,
    decode,
    organisation_key,
    read_rows,
)

_QUERY_CHUNK = 500


class ImportRejected(Exception):
    """The import cannot be applied; ``problems`` says why, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__(f"the import has {len(problems)} problem(s)")
        self.problems = problems


class Action(enum.StrEnum):
    ADD_ORGANISATION = "add_organisation"
    CHANGE_KIND = "change_kind"
    ADD_DOMAIN = "add_domain"
    ADD_SUBSCRIPTION = "add_subscription"
    ADD_MEMBER = "add_member"


@dataclass(frozen=True)
class ImportStep:
    """One write the import makes. ``record`` is the stored organisation, None for a new one."""

    action: Action
    organisation: str
    value: OrganisationKind | str | tuple[date, date]
    description: str
    record: Organisation | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.description


def _describe(action: Action, name: str, value, old_kind: OrganisationKind | None) -> str:
    match action:
        case Action.ADD_ORGANISATION:
            return f"Add organisation {name} ({value.label.lower()})"
        case Action.CHANGE_KIND:
            return f"Change kind of {name} from {old_kind.label.lower()} to {value.label.lower()}"
        case Action.ADD_DOMAIN:
            return f"Add domain {value} to {name}"
        case Action.ADD_SUBSCRIPTION:
            return f"Add subscription {long_date(value[0])} to {long_date(value[1])} for {name}"
        case Action.ADD_MEMBER:
            return f"Add named member {value} to {name}"


@dataclass
class ImportPlan:
    """What importing a file would do: its problems (then nothing may be written) or its steps."""

    rows: list[SubscriberRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    steps: list[ImportStep] = field(default_factory=list)

    @property
    def changes(self) -> list[str]:
        """The steps in words, in file order: "Add domain leeds.gov.uk to Leeds City Council"."""
        return [str(step) for step in self.steps]


def plan_import(data: bytes | str) -> ImportPlan:
    """Check a subscribers file against the rules and the database, and list what it would change.

    ``data`` is the file's bytes (UTF-8, with or without the byte-order mark Excel writes) or its
    text. Writes nothing. Every problem is listed as "Line N: …", counting lines as a spreadsheet
    shows them (the header is line 1).
    """
    text, problem = decode(data)
    if problem:
        return ImportPlan(problems=[problem])
    problems: list[tuple[int, str]] = []
    rows = read_rows(text, problems)
    if rows is None:
        return ImportPlan(problems=_as_text(problems))
    steps, conflicts = _Reconciliation(rows).run()
    found = sorted(problems + conflicts, key=lambda problem: problem[0])
    return ImportPlan(rows=rows, problems=_as_text(found), steps=[] if found else steps)


def apply_import(plan: ImportPlan) -> list[str]:
    """Add what a plan without problems adds, flush (never commit), and return the changes made.

    The plan is checked again against the database as it is now, so a preview shown a while ago
    cannot add a domain or member that another organisation has since taken. Raises
    ImportRejected, having written nothing, when the plan or that new check finds problems.
    """
    if plan.problems:
        raise ImportRejected(plan.problems)
    steps, conflicts = _Reconciliation(plan.rows).run()
    if conflicts:
        raise ImportRejected(_as_text(sorted(conflicts, key=lambda problem: problem[0])))
    created: dict[str, Organisation] = {}
    for step in steps:
        _write(step, created)
    db.session.flush()
    return [str(step) for step in steps]


def _write(step: ImportStep, created: dict[str, Organisation]) -> None:
    if step.action is Action.ADD_ORGANISATION:
        organisation = Organisation(name=step.organisation, kind=step.value)
        db.session.add(organisation)
        created[organisation_key(step.organisation)] = organisation
        return
    organisation = step.record or created[organisation_key(step.organisation)]
    match step.action:
        case Action.CHANGE_KIND:
            organisation.kind = step.value
        case Action.ADD_DOMAIN:
            organisation.domains.append(OrganisationDomain(domain=step.value))
        case Action.ADD_SUBSCRIPTION:
            starts_on, ends_on = step.value
            organisation.subscriptions.append(
                InsightSubscription(starts_on=starts_on, ends_on=ends_on)
            )
        case Action.ADD_MEMBER:
            organisation.members.append(NamedMember(email=step.value))


def _as_text(problems: list[tuple[int, str]]) -> list[str]:
    return [f"Line {line}: {text}" if line else text for line, text in problems]


# Comparing with the database


@dataclass
class _Planned:
    """An organisation as it will be once the lines read so far are applied."""

    name: str
    record: Organisation | None
    kind: OrganisationKind | None
    kind_line: int | None = None
    domains: set[str] = field(default_factory=set)
    periods: set[tuple[date, date]] = field(default_factory=set)
    members: set[str] = field(default_factory=set)

    @classmethod
    def stored(cls, record: Organisation) -> "_Planned":
        return cls(
            name=record.name,
            record=record,
            kind=record.kind,
            domains={d.domain for d in record.domains},
            periods={(s.starts_on, s.ends_on) for s in record.subscriptions},
            members={m.email for m in record.members},
        )


class _Reconciliation:
    """Walks the rows in order against the database, collecting the steps and the conflicts."""

    def __init__(self, rows: list[SubscriberRow]):
        self.rows = [row for row in rows if row.name]
        self.stored = _organisations_named({organisation_key(row.name) for row in self.rows})
        self.domain_owners = _owners(
            OrganisationDomain, OrganisationDomain.domain, {d for r in self.rows for d in r.domains}
        )
        self.shared_domains = public_sector_domains()
        self.member_owners = _owners(
            NamedMember, NamedMember.email, {e for r in self.rows for e in r.member_emails}
        )
        self.planned: dict[str, _Planned] = {}
        self.claims: dict[str, tuple[_Planned, int]] = {}
        self.steps: list[ImportStep] = []
        self.conflicts: list[tuple[int, str]] = []

    def run(self) -> tuple[list[ImportStep], list[tuple[int, str]]]:
        for row in self.rows:
            organisation = self._organisation(row)
            if organisation is None:
                continue
            self._kind(row, organisation)
            for domain in row.domains:
                if reason := why_domain_cannot_be_registered(domain, self.shared_domains):
                    self.conflicts.append((row.line, f"domain {reason}"))
                else:
                    self._claim(row, organisation, Action.ADD_DOMAIN, domain)
            if row.period and row.period not in organisation.periods:
                organisation.periods.add(row.period)
                self._step(Action.ADD_SUBSCRIPTION, organisation, row.period)
            for email in row.member_emails:
                self._claim(row, organisation, Action.ADD_MEMBER, email)
        return self.steps, self.conflicts

    def _step(self, action: Action, organisation: _Planned, value) -> None:
        name, record = organisation.name, organisation.record
        description = _describe(action, name, value, record.kind if record else None)
        self.steps.append(ImportStep(action, name, value, description, record))

    def _organisation(self, row: SubscriberRow) -> _Planned | None:
        key = organisation_key(row.name)
        if key in self.planned:
            return self.planned[key]
        records = self.stored.get(key, [])
        if len(records) > 1:
            names = ", ".join(sorted(record.name for record in records))
            self.conflicts.append(
                (row.line, f"“{row.name}” matches several organisations: {names}")
            )
            return None
        if records:
            organisation = _Planned.stored(records[0])
        else:
            organisation = _Planned(name=row.name, record=None, kind=row.kind, kind_line=row.line)
            if row.kind:
                self._step(Action.ADD_ORGANISATION, organisation, row.kind)
        self.planned[key] = organisation
        return organisation

    def _kind(self, row: SubscriberRow, organisation: _Planned) -> None:
        """The first line that names an organisation decides its kind; later lines must agree."""
        if row.kind is None or (row.kind is organisation.kind and organisation.kind_line):
            return
        if organisation.kind_line is None:
            if organisation.record is not None and row.kind is not organisation.kind:
                self._step(Action.CHANGE_KIND, organisation, row.kind)
            organisation.kind, organisation.kind_line = row.kind, row.line
        elif organisation.kind is not None:
            self.conflicts.append(
                (
                    row.line,
                    f"kind {row.kind.label.lower()} differs from {organisation.kind.label.lower()}"
                    f" given for {organisation.name} on line {organisation.kind_line}",
                )
            )

    def _claim(
        self, row: SubscriberRow, organisation: _Planned, action: Action, value: str
    ) -> None:
        """Add a domain or member address unless another organisation has it (stored or earlier)."""
        what = "domain" if action is Action.ADD_DOMAIN else "member email"
        owners = self.domain_owners if action is Action.ADD_DOMAIN else self.member_owners
        held = organisation.domains if action is Action.ADD_DOMAIN else organisation.members
        owner_id, owner_name = owners.get(value, (None, None))
        record_id = organisation.record.id if organisation.record else None
        claimed_by, claim_line = self.claims.get(value, (organisation, 0))
        if owner_id is not None and owner_id != record_id:
            registered = "registered to" if what == "domain" else "a named member of"
            self.conflicts.append(
                (row.line, f"{what} {value} is already {registered} {owner_name}")
            )
        elif claimed_by is not organisation:
            self.conflicts.append(
                (row.line, f"{what} {value} is given to {claimed_by.name} on line {claim_line}")
            )
        elif value not in held:
            held.add(value)
            self.claims[value] = (organisation, row.line)
            self._step(action, organisation, value)


def _chunks(values: list) -> Iterator[list]:
    for start in range(0, len(values), _QUERY_CHUNK):
        yield values[start : start + _QUERY_CHUNK]


def _organisations_named(keys: set[str]) -> dict[str, list[Organisation]]:
    """The stored organisations whose names match these keys, with what they already hold.

    Names are compared in Python, because SQLite's ``lower()`` folds only ASCII letters.
    """
    ids: dict[str, list[int]] = defaultdict(list)
    for organisation_id, name in db.session.execute(select(Organisation.id, Organisation.name)):
        if organisation_key(name) in keys:
            ids[organisation_key(name)].append(organisation_id)
    loaded: dict[int, Organisation] = {}
    for chunk in _chunks([i for group in ids.values() for i in group]):
        query = (
            select(Organisation)
            .where(Organisation.id.in_(chunk))
            .options(
                selectinload(Organisation.domains),
                selectinload(Organisation.subscriptions),
                selectinload(Organisation.members),
            )
        )
        loaded.update((organisation.id, organisation) for organisation in db.session.scalars(query))
    return {key: [loaded[i] for i in group] for key, group in ids.items()}


def _owners(model, column, values: set[str]) -> dict[str, tuple[int, str]]:
    """For each stored domain or member address among ``values``: its organisation's id and name."""
    owners: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(sorted(values)):
        query = (
            select(column, Organisation.id, Organisation.name)
            .join(Organisation, model.organisation_id == Organisation.id)
            .where(column.in_(chunk))
        )
        owners.update((value, (oid, name)) for value, oid, name in db.session.execute(query))
    return owners
