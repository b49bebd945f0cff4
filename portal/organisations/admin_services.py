"""What administrators change about organisations: names, domains, subscriptions, named members.

Each function checks the rule it enforces, writes, audits the change in the same transaction and
flushes; the view commits once. A broken rule raises ``SubscriberRuleBroken`` before anything is
written, naming the form field it is about so the page can show it there.
"""

from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.accounts.models import User
from portal.clock import long_date, utcnow
from portal.extensions import db
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
    PublicSectorDomain,
)
from portal.organisations.services import normalise_domain, public_sector_domains
from portal.organisations.shared_domains import why_domain_cannot_be_registered
from portal.organisations.subscriber_csv import organisation_key


class SubscriberRuleBroken(ValueError):
    """A change an administrator asked for breaks a rule; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


# Organisations


def _name_taken(name: str, other_than: int | None = None) -> str | None:
    """The stored organisation name matching ``name`` as the import matches names, if any.

    Compared in Python, as the importer does, because SQLite's ``lower()`` folds only ASCII.
    """
    key = organisation_key(name)
    for organisation_id, stored in db.session.execute(select(Organisation.id, Organisation.name)):
        if organisation_id != other_than and organisation_key(stored) == key:
            return stored
    return None


def create_organisation(actor, name: str, kind: OrganisationKind) -> Organisation:
    """Add an organisation; its name must differ from every other (ignoring case and spacing)."""
    name = " ".join(name.split())
    if taken := _name_taken(name):
        raise SubscriberRuleBroken("name", f"There is already an organisation called {taken}")
    organisation = Organisation(name=name, kind=kind)
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        actor,
        "organisation.create",
        "organisation",
        organisation.id,
        after=audit.snapshot(organisation, "name", "kind"),
    )
    return organisation


def update_organisation(
    actor, organisation: Organisation, name: str, kind: OrganisationKind
) -> None:
    """Rename an organisation or change its kind; the name stays unique."""
    name = " ".join(name.split())
    if taken := _name_taken(name, other_than=organisation.id):
        raise SubscriberRuleBroken("name", f"There is already an organisation called {taken}")
    before = audit.snapshot(organisation, "name", "kind")
    organisation.name, organisation.kind = name, kind
    after = audit.snapshot(organisation, "name", "kind")
    if before == after:
        return
    db.session.flush()
    audit.record(
        actor, "organisation.update", "organisation", organisation.id, before=before, after=after
    )


# Domains


def add_domain(actor, organisation: Organisation, text: str) -> OrganisationDomain:
    """Register an email domain (subdomains then match too); one domain has one organisation,
    and never a domain many share (``shared_domains``)."""
    domain = normalise_domain(text)
    if domain is None:
        raise SubscriberRuleBroken("domain", "Enter an email domain like leeds.gov.uk")
    if reason := why_domain_cannot_be_registered(domain, public_sector_domains()):
        raise SubscriberRuleBroken("domain", reason)
    owner = db.session.scalar(
        select(Organisation)
        .join(OrganisationDomain, OrganisationDomain.organisation_id == Organisation.id)
        .where(OrganisationDomain.domain == domain)
    )
    if owner is not None:
        where = "this organisation" if owner.id == organisation.id else owner.name
        raise SubscriberRuleBroken(
            "domain", f"The domain {domain} is already registered to {where}"
        )
    registered = OrganisationDomain(domain=domain)
    organisation.domains.append(registered)
    db.session.flush()
    audit.record(
        actor, "organisation.add_domain", "organisation", organisation.id, after={"domain": domain}
    )
    return registered


def remove_domain(actor, registered: OrganisationDomain) -> None:
    """Remove a registered domain: its addresses stop matching the organisation at once."""
    organisation_id = registered.organisation_id
    registered.organisation.domains.remove(registered)  # delete-orphan deletes the row
    db.session.flush()
    audit.record(
        actor,
        "organisation.remove_domain",
        "organisation",
        organisation_id,
        before={"domain": registered.domain},
    )


# On stop


def put_on_stop(actor, organisation: Organisation, reason: str) -> None:
    """Put an organisation on stop: its new invoice orders wait for payment or approved credit
    (orders already placed keep their terms)."""
    reason = reason.strip()
    if organisation.on_stop_since is not None:
        raise SubscriberRuleBroken("stop_reason", f"{organisation.name} is already on stop")
    if not reason:
        raise SubscriberRuleBroken("stop_reason", "Enter why the organisation is going on stop")
    organisation.on_stop_since = utcnow()
    organisation.on_stop_reason = reason
    db.session.flush()
    audit.record(
        actor,
        "organisation.put_on_stop",
        "organisation",
        organisation.id,
        before={"on_stop": False},
        after={"on_stop": True, "reason": reason},
    )


def take_off_stop(actor, organisation: Organisation) -> None:
    """Take an organisation off stop: its new invoice orders get credit terms again."""
    if organisation.on_stop_since is None:
        raise SubscriberRuleBroken("stop_reason", f"{organisation.name} is not on stop")
    before = {"on_stop": True, "reason": organisation.on_stop_reason}
    organisation.on_stop_since = None
    organisation.on_stop_reason = ""
    db.session.flush()
    audit.record(
        actor,
        "organisation.take_off_stop",
        "organisation",
        organisation.id,
        before=before,
        after={"on_stop": False},
    )


# Public-sector domains


def add_public_sector_domain(actor, text: str) -> PublicSectorDomain:
    """Add a shared public-sector domain: verified addresses on it buy on credit terms."""
    domain = normalise_domain(text)
    if domain is None:
        raise SubscriberRuleBroken("public_domain", "Enter an email domain like gov.uk")
    if db.session.scalar(select(PublicSectorDomain).where(PublicSectorDomain.domain == domain)):
        raise SubscriberRuleBroken("public_domain", f"{domain} is already on the list")
    listed = PublicSectorDomain(domain=domain)
    db.session.add(listed)
    db.session.flush()
    audit.record(
        actor, "public_sector_domain.add", "public_sector_domain", domain, after={"domain": domain}
    )
    return listed


def remove_public_sector_domain(actor, listed: PublicSectorDomain) -> None:
    domain = listed.domain
    db.session.delete(listed)
    db.session.flush()
    audit.record(
        actor,
        "public_sector_domain.remove",
        "public_sector_domain",
        domain,
        before={"domain": domain},
    )


# Subscriptions

_PERIOD_FIELDS = ("starts_on", "ends_on", "notes")


def _check_period(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise SubscriberRuleBroken(
            "ends_on", "The end date must be the same as or after the start date"
        )


def overlapping(
    organisation: Organisation, starts_on: date, ends_on: date, other_than: int | None = None
) -> list[InsightSubscription]:
    """The organisation's other periods that share a day with this one.

    Overlaps are allowed (a renewal agreed early, say) but usually a typing slip, so they are
    pointed out, never refused.
    """
    return [
        s
        for s in organisation.subscriptions
        if s.id != other_than and s.starts_on <= ends_on and starts_on <= s.ends_on
    ]


def add_subscription(
    actor, organisation: Organisation, starts_on: date, ends_on: date, notes: str = ""
) -> InsightSubscription:
    """Add a period of Insight subscription, active from ``starts_on`` to ``ends_on`` inclusive."""
    _check_period(starts_on, ends_on)
    subscription = InsightSubscription(starts_on=starts_on, ends_on=ends_on, notes=notes)
    organisation.subscriptions.append(subscription)
    db.session.flush()
    audit.record(
        actor,
        "organisation.add_subscription",
        "organisation",
        organisation.id,
        after={"subscription": subscription.id, **audit.snapshot(subscription, *_PERIOD_FIELDS)},
    )
    return subscription


def update_subscription(
    actor, subscription: InsightSubscription, starts_on: date, ends_on: date, notes: str = ""
) -> None:
    """Change a subscription period's dates or notes."""
    _check_period(starts_on, ends_on)
    before = audit.snapshot(subscription, *_PERIOD_FIELDS)
    subscription.starts_on, subscription.ends_on, subscription.notes = starts_on, ends_on, notes
    after = audit.snapshot(subscription, *_PERIOD_FIELDS)
    if before == after:
        return
    db.session.flush()
    audit.record(
        actor,
        "organisation.update_subscription",
        "organisation",
        subscription.organisation_id,
        before={"subscription": subscription.id, **before},
        after={"subscription": subscription.id, **after},
    )


def describe_period(subscription: InsightSubscription) -> str:
    return f"{long_date(subscription.starts_on)} to {long_date(subscription.ends_on)}"


# Named members


def add_member(actor, organisation: Organisation, text: str) -> NamedMember:
    """Name a person (by address) as a member; one address belongs to one organisation."""
    email = text.strip().lower()
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise SubscriberRuleBroken(
            "member_email", "Enter an email address in the correct format, like name@example.gov.uk"
        ) from None
    owner = db.session.scalar(
        select(Organisation)
        .join(NamedMember, NamedMember.organisation_id == Organisation.id)
        .where(NamedMember.email == email)
    )
    if owner is not None:
        where = "this organisation" if owner.id == organisation.id else owner.name
        raise SubscriberRuleBroken("member_email", f"{email} is already a named member of {where}")
    member = NamedMember(email=email)
    organisation.members.append(member)
    db.session.flush()
    audit.record(
        actor, "organisation.add_member", "organisation", organisation.id, after={"email": email}
    )
    return member


def remove_member(actor, member: NamedMember) -> None:
    """Remove a named member: the address no longer belongs to the organisation by name."""
    organisation_id = member.organisation_id
    member.organisation.members.remove(member)  # delete-orphan deletes the row
    db.session.flush()
    audit.record(
        actor,
        "organisation.remove_member",
        "organisation",
        organisation_id,
        before={"email": member.email},
    )


# Reading


@dataclass(frozen=True)
class SubscriptionStatus:
    """How an organisation's subscription stands today, for lists."""

    state: str  # "active", "future", "lapsed" or "none"
    day: date | None = None

    @property
    def text(self) -> str:
        match self.state:
            case "active":
                return f"Active until {long_date(self.day)}"
            case "future":
                return f"Starts on {long_date(self.day)}"
            case "lapsed":
                return f"Lapsed on {long_date(self.day)}"
        return "None"


def subscription_status(organisation: Organisation, today: date) -> SubscriptionStatus:
    """Active (until the latest end among the periods active today), starting later, lapsed
    (on the latest end) or none."""
    periods = organisation.subscriptions
    active = [s.ends_on for s in periods if s.is_active_on(today)]
    if active:
        return SubscriptionStatus("active", max(active))
    future = [s.starts_on for s in periods if s.starts_on > today]
    if future:
        return SubscriptionStatus("future", min(future))
    if periods:
        return SubscriptionStatus("lapsed", max(s.ends_on for s in periods))
    return SubscriptionStatus("none")


def users_belonging_to(organisation: Organisation, limit: int = 200) -> list[User]:
    """Registered users whose *verified* address is a named member of the organisation or falls
    under one of its domains (the domain itself or a subdomain), as ``memberships_for_email``
    decides it; at most ``limit``, by address."""
    conditions = [User.email.in_([m.email for m in organisation.members])]
    for registered in organisation.domains:
        # Domains hold only letters, digits, hyphens and dots, so nothing here is a wildcard.
        conditions.append(User.email.like(f"%@{registered.domain}"))
        conditions.append(User.email.like(f"%@%.{registered.domain}"))
    query = (
        select(User)
        .where(User.email_verified_at.is_not(None), or_(*conditions))
        .order_by(User.email)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def named_member_counts() -> dict[int, int]:
    """The number of named members of each organisation that has any."""
    query = select(NamedMember.organisation_id, func.count()).group_by(NamedMember.organisation_id)
    return dict(db.session.execute(query).all())


ORGANISATIONS_PAGE_SIZE = 50


def find_organisations(search: str = "", *, page: int = 1) -> tuple[list[Organisation], bool]:
    """Organisations by name whose name or one of whose domains contains ``search`` (any case),
    with their domains and subscriptions loaded; and whether there is a next page."""
    query = select(Organisation)
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        by_domain = select(OrganisationDomain.organisation_id).where(
            OrganisationDomain.domain.like(pattern, escape="\\")
        )
        query = query.where(
            or_(Organisation.name.ilike(pattern, escape="\\"), Organisation.id.in_(by_domain))
        )
    size = ORGANISATIONS_PAGE_SIZE
    rows = db.session.scalars(
        query.order_by(Organisation.name)
        .offset((page - 1) * size)
        .limit(size + 1)
        .options(selectinload(Organisation.domains), selectinload(Organisation.subscriptions))
    ).all()
    return list(rows[:size]), len(rows) > size
