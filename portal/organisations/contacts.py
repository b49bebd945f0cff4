"""Subscription contacts: the people at an organisation who hear that its Insight subscription is
about to end (``portal.insight.reminders``), kept by administrators on the organisation's page.

Services flush; the caller commits.
"""

from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.organisations.admin_services import SubscriberRuleBroken
from portal.organisations.models import Organisation, SubscriptionContact


def contacts_of(organisation: Organisation) -> list[SubscriptionContact]:
    return list(
        db.session.scalars(
            select(SubscriptionContact)
            .where(SubscriptionContact.organisation_id == organisation.id)
            .order_by(SubscriptionContact.name, SubscriptionContact.id)
        )
    )


def add_contact(
    actor, organisation: Organisation, name: str, email: str, role: str
) -> SubscriptionContact:
    """Add a subscription contact; an address is a contact of an organisation once."""
    email = email.strip().lower()
    taken = db.session.scalar(
        select(SubscriptionContact.id).where(
            SubscriptionContact.organisation_id == organisation.id,
            SubscriptionContact.email == email,
        )
    )
    if taken is not None:
        raise SubscriberRuleBroken(
            "contact_email", f"{email} is already a subscription contact of this organisation"
        )
    contact = SubscriptionContact(
        organisation_id=organisation.id, name=name.strip(), email=email, role=role.strip()
    )
    db.session.add(contact)
    db.session.flush()
    audit.record(
        actor,
        "organisation.add_contact",
        "organisation",
        organisation.id,
        after={"name": contact.name, "email": email, "role": contact.role},
    )
    return contact


def remove_contact(actor, contact: SubscriptionContact) -> None:
    """Remove a subscription contact: they get no more reminders."""
    db.session.delete(contact)
    db.session.flush()
    audit.record(
        actor,
        "organisation.remove_contact",
        "organisation",
        contact.organisation_id,
        before={"name": contact.name, "email": contact.email},
    )
