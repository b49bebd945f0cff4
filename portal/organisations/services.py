"""Organisations and subscriptions: who belongs where, and whose subscription is active.

Which organisation an address belongs to is decided here (from the database); what that means for
prices is decided in ``portal.pricing``, which these answers feed.
"""

import re
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import String, literal, select, union_all

from portal.extensions import db
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    PublicSectorDomain,
)
from portal.pricing import GUEST, CreditTerms, Membership, Person, credit_terms

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def normalise_domain(text: str) -> str | None:
    """``text`` as a registrable email domain (lower-case, no ``@`` or trailing dot), or None.

    A domain here is two or more DNS labels of letters, digits and inner hyphens, at most 253
    characters: ``leeds.gov.uk`` is one; ``leeds``, ``-x.gov.uk``, ``a..b``, ``*.gov.uk`` are not.
    """
    domain = text.strip().lower().removeprefix("@").removesuffix(".")
    if not domain or len(domain) > 253:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return domain


def domain_suffixes(email: str) -> list[str]:
    """Every domain an address falls under, most specific first, cut only at label boundaries.

    ``x@adults.leeds.gov.uk`` → ``adults.leeds.gov.uk``, ``leeds.gov.uk``, ``gov.uk``, ``uk``. So a
    registered ``leeds.gov.uk`` matches it, while ``notleeds.gov.uk`` and
    ``leeds.gov.uk.evil.example`` never produce ``leeds.gov.uk``.
    """
    _, at, domain = email.strip().lower().rpartition("@")
    if not at or not domain:
        return []
    labels = domain.removesuffix(".").split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def memberships_for_email(email: str) -> list[Membership]:
    """The organisations an address belongs to: as a named member first, then by domain (most
    specific domain first). The caller must only pass an address the person has verified.

    One query (every page a signed-in person sees asks this): the matches, each organisation's
    name and its subscription periods, joined.
    """
    address = email.strip().lower()
    suffixes = domain_suffixes(address)
    named = select(
        NamedMember.organisation_id.label("organisation_id"),
        literal(None, String).label("domain"),
    ).where(NamedMember.email == address)
    matched = (
        union_all(
            named,
            select(OrganisationDomain.organisation_id, OrganisationDomain.domain).where(
                OrganisationDomain.domain.in_(suffixes)
            ),
        )
        if suffixes
        else named
    ).subquery()
    rows = db.session.execute(
        select(
            matched.c.organisation_id,
            matched.c.domain,
            Organisation.name,
            InsightSubscription.starts_on,
            InsightSubscription.ends_on,
        )
        .join(Organisation, Organisation.id == matched.c.organisation_id)
        .outerjoin(InsightSubscription, InsightSubscription.organisation_id == Organisation.id)
        .order_by(InsightSubscription.starts_on, InsightSubscription.id)
    ).all()
    names: dict[int, str] = {}
    periods: dict[int, list[tuple[date, date]]] = {}
    ranks: dict[int, tuple[int, str]] = {}  # named member first, then the most specific domain
    for organisation_id, domain, name, starts_on, ends_on in rows:
        rank = (
            (0, "named member") if domain is None else (1 + suffixes.index(domain), "email domain")
        )
        ranks[organisation_id] = min(ranks.get(organisation_id, rank), rank)
        names[organisation_id] = name
        found = periods.setdefault(organisation_id, [])
        if starts_on is not None and (starts_on, ends_on) not in found:
            found.append((starts_on, ends_on))
    return [
        Membership(
            organisation_id=organisation_id,
            organisation_name=names[organisation_id],
            periods=tuple(periods[organisation_id]),
            matched_by=how,
        )
        for organisation_id, (_, how) in sorted(ranks.items(), key=lambda item: item[1][0])
    ]


def membership_for_email(
    email: str, today: date, find: Callable[[str], Sequence[Membership]] = memberships_for_email
) -> Membership | None:
    """The one organisation that decides this address's prices today, among what ``find`` finds
    (by default read now; a page may give the copy its process keeps, ``membership_cache``).

    One whose subscription is active today wins; otherwise the first found (named membership, then
    the most specific domain), so the person can be told why they are not getting subscriber
    prices. None when the address belongs to no organisation.
    """
    found = find(email)
    for membership in found:
        if membership.active_on(today):
            return membership
    return found[0] if found else None


def person_for(
    user, today: date, find: Callable[[str], Sequence[Membership]] = memberships_for_email
) -> Person:
    """The pricing view of whoever is signed in (or a guest): their organisation is looked up only
    from a verified address (with ``find``, as ``membership_for_email`` says)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return GUEST
    if not user.email_verified:
        return Person(signed_in=True, email_verified=False)
    membership = membership_for_email(user.email, today, find)
    return Person(signed_in=True, email_verified=True, membership=membership)


def public_sector_domains() -> list[str]:
    """The shared public-sector domains administrators keep (``gov.uk``, ``nhs.net``…)."""
    return list(db.session.scalars(select(PublicSectorDomain.domain).order_by("domain")))


def on_stop(email: str) -> bool:
    """Whether an organisation this address belongs to (as a named member or by domain) is on
    stop."""
    address = email.strip().lower()
    suffixes = domain_suffixes(address)
    named = select(NamedMember.organisation_id).where(NamedMember.email == address)
    by_domain = select(OrganisationDomain.organisation_id).where(
        OrganisationDomain.domain.in_(suffixes or [""])
    )
    stopped = db.session.scalar(
        select(Organisation.id)
        .where(
            Organisation.on_stop_since.is_not(None),
            Organisation.id.in_(named.union(by_domain)),
        )
        .limit(1)
    )
    return stopped is not None


def credit_terms_for(person: Person, email: str) -> CreditTerms:
    """The credit decision for an invoice order from ``person`` buying as ``email``: the facts
    from the database, the rule in ``portal.pricing.credit_terms``. Nothing is looked up for an
    address nobody has verified."""
    if not (person.signed_in and person.email_verified):
        return credit_terms(person, email, on_stop=False, public_sector_domains=())
    return credit_terms(
        person, email, on_stop=on_stop(email), public_sector_domains=public_sector_domains()
    )
