"""Organisations and subscriptions: who belongs where, and whose subscription is active.

Which organisation an address belongs to is decided here (from the database); what that means for
prices is decided in ``portal.pricing``, which these answers feed.
"""

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.organisations.models import NamedMember, Organisation, OrganisationDomain
from portal.pricing import GUEST, Membership, Person

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


def _as_membership(organisation: Organisation, how: str) -> Membership:
    return Membership(
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        periods=tuple((s.starts_on, s.ends_on) for s in organisation.subscriptions),
        matched_by=how,
    )


def memberships_for_email(email: str) -> list[Membership]:
    """The organisations an address belongs to: as a named member first, then by domain (most
    specific domain first). The caller must only pass an address the person has verified.
    """
    address = email.strip().lower()
    found: list[Membership] = []
    member = db.session.scalar(
        select(NamedMember)
        .where(NamedMember.email == address)
        .options(selectinload(NamedMember.organisation).selectinload(Organisation.subscriptions))
    )
    if member is not None:
        found.append(_as_membership(member.organisation, "named member"))
    suffixes = domain_suffixes(address)
    if suffixes:
        domains = db.session.scalars(
            select(OrganisationDomain)
            .where(OrganisationDomain.domain.in_(suffixes))
            .options(
                selectinload(OrganisationDomain.organisation).selectinload(
                    Organisation.subscriptions
                )
            )
        ).all()
        for registered in sorted(domains, key=lambda d: suffixes.index(d.domain)):
            if all(m.organisation_id != registered.organisation_id for m in found):
                found.append(_as_membership(registered.organisation, "email domain"))
    return found


def membership_for_email(email: str, today: date) -> Membership | None:
    """The one organisation that decides this address's prices today.

    One whose subscription is active today wins; otherwise the first found (named membership, then
    the most specific domain), so the person can be told why they are not getting subscriber
    prices. None when the address belongs to no organisation.
    """
    found = memberships_for_email(email)
    for membership in found:
        if membership.active_on(today):
            return membership
    return found[0] if found else None


def person_for(user, today: date) -> Person:
    """The pricing view of whoever is signed in (or a guest): their organisation is looked up only
    from a verified address."""
    if user is None or not getattr(user, "is_authenticated", False):
        return GUEST
    if not user.email_verified:
        return Person(signed_in=True, email_verified=False)
    return Person(
        signed_in=True, email_verified=True, membership=membership_for_email(user.email, today)
    )
