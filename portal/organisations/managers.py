"""Organisation managers: who they are, who may be one, and appointing and removing them.

A manager is a person with a verified address of the organisation (at one of its domains, or a
named member), appointed by an administrator or by another of its managers. The appointment
counts only while that stays true: someone who moves to another address or organisation stops
acting as a manager without anyone removing them. Writes flush and audit; the view commits.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal import audit
from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.admin_services import SubscriberRuleBroken
from portal.organisations.models import Organisation, OrganisationManager
from portal.organisations.services import memberships_for_email


def belongs_to(user: User, organisation_id: int) -> bool:
    """Whether the person's *verified* address is of the organisation (domain or named member)."""
    if not user.email_verified:
        return False
    return any(m.organisation_id == organisation_id for m in memberships_for_email(user.email))


def managed_organisations(user) -> list[Organisation]:
    """The organisations the person manages now, by name."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.email_verified:
        return []
    appointed = db.session.scalars(
        select(Organisation)
        .join(OrganisationManager, OrganisationManager.organisation_id == Organisation.id)
        .where(OrganisationManager.user_id == user.id)
        .order_by(Organisation.name)
    ).all()
    return [organisation for organisation in appointed if belongs_to(user, organisation.id)]


def manager_of(user, organisation_id: int) -> Organisation | None:
    """The organisation, when the person manages it now; None otherwise (the caller answers 404,
    so nobody learns which organisations exist)."""
    return next((o for o in managed_organisations(user) if o.id == organisation_id), None)


def managers_of(organisation: Organisation) -> list[OrganisationManager]:
    """Everyone appointed to manage the organisation, by address."""
    return list(
        db.session.scalars(
            select(OrganisationManager)
            .join(User, User.id == OrganisationManager.user_id)
            .where(OrganisationManager.organisation_id == organisation.id)
            .options(selectinload(OrganisationManager.user))
            .order_by(User.email)
        )
    )


def _may_be_appointed(organisation: Organisation) -> str:
    return (
        f"Only someone with an account and a confirmed email address of {organisation.name}"
        " can be one of its managers"
    )


def appoint_manager(actor: User, organisation: Organisation, email: str) -> OrganisationManager:
    """Appoint the person with this address a manager of the organisation.

    Refused, with the same words whether the address has no account or belongs to someone of
    another organisation, unless the account's verified address is of this organisation.
    """
    address = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None or not belongs_to(user, organisation.id):
        raise SubscriberRuleBroken("manager_email", _may_be_appointed(organisation))
    taken = db.session.scalar(
        select(OrganisationManager).where(
            OrganisationManager.organisation_id == organisation.id,
            OrganisationManager.user_id == user.id,
        )
    )
    if taken is not None:
        raise SubscriberRuleBroken("manager_email", f"{address} is already a manager")
    appointment = OrganisationManager(
        organisation_id=organisation.id, user_id=user.id, appointed_by_user_id=actor.id
    )
    db.session.add(appointment)
    db.session.flush()
    audit.record(
        actor,
        "organisation.appoint_manager",
        "organisation",
        organisation.id,
        after={"manager": address},
    )
    return appointment


def remove_manager(actor: User, appointment: OrganisationManager, *, by_administrator: bool):
    """End an appointment. Only an administrator may remove an organisation's last manager, so
    an organisation is never left without one by its own people."""
    organisation_id = appointment.organisation_id
    if not by_administrator:
        count = db.session.scalar(
            select(func.count())
            .select_from(OrganisationManager)
            .where(OrganisationManager.organisation_id == organisation_id)
        )
        if count <= 1:
            raise SubscriberRuleBroken(
                "manager_email",
                "An organisation needs a manager: only a Socitm administrator can remove the"
                " last one",
            )
    address = appointment.user.email
    db.session.delete(appointment)
    db.session.flush()
    audit.record(
        actor,
        "organisation.remove_manager",
        "organisation",
        organisation_id,
        before={"manager": address},
    )
