"""Erasing a person: their account closed at once, their name, addresses, phone numbers, IP
addresses and browsers removed or replaced by a pseudonym wherever the portal keeps them, while
their orders and issued documents stay as the financial record (HMRC asks for six years), the
PDFs already issued unchanged and reachable only by administrators.

Everything happens inside one savepoint: a fault halfway leaves the person exactly as they were.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, delete, func, or_, select, update
from werkzeug.security import check_password_hash

from portal.accounts import two_factor
from portal.accounts.models import RecoveryCode, SignedInSession, User, new_session_token
from portal.addresses.models import SavedAddress
from portal.audit.models import AuditEntry
from portal.audit.services import Actor, record
from portal.basket.models import Basket, BasketLine
from portal.clock import utcnow
from portal.downloads.models import Download
from portal.email.models import OutboxAttachment, OutboxEmail, OutboxStatus
from portal.extensions import db
from portal.insight.models import InsightRequest, InsightRequestEvent
from portal.orders.models import Order, OrderEvent, OrderLine, OrderState
from portal.organisations.models import NamedMember, OrganisationManager, SubscriptionContact
from portal.payments.models import FinanceContact

#: Mail the outbox has finished with: sent, or given up on.
FINISHED = (OutboxStatus.SENT, OutboxStatus.GIVEN_UP)

#: The password hash of a closed account: no password matches it.
CLOSED_ACCOUNT_HASH = "!erased"

#: Orders still open: their buyer is told what happens to them before closing the account.
OPEN_STATES = (
    OrderState.PENDING_PAYMENT,
    OrderState.AWAITING_APPROVAL,
    OrderState.AWAITING_INVOICE_PAYMENT,
    OrderState.PAID,
)

#: What happens to an open order when its buyer closes their account, by its state.
WHAT_HAPPENS = {
    OrderState.PENDING_PAYMENT: (
        "The card payment was not finished. The order stays unpaid and no PDF or printed copy"
        " will be supplied."
    ),
    OrderState.AWAITING_APPROVAL: (
        "The order is waiting for our approval. It stays on our records without your name; we"
        " will not be able to contact you about it."
    ),
    OrderState.AWAITING_INVOICE_PAYMENT: (
        "The invoice is still owed. It stays on our records with your organisation's name and"
        " must still be paid; its PDFs will no longer be available to download."
    ),
    OrderState.PAID: (
        "Printed copies not yet posted will not be sent, because the delivery address is"
        " erased. Contact us for a refund before closing your account if you still want them."
    ),
}


class AlreadyErased(Exception):
    """The account was closed already: nothing to do, nothing changed."""


class WrongCredentials(Exception):
    """The password, or the second-factor code, is not right: nothing changed."""


@dataclass(frozen=True)
class OpenOrder:
    reference: str
    state_label: str
    what_happens: str


def pseudonym_email(user: User) -> str:
    """The address that stands in for an erased person: unique, and never deliverable."""
    return f"erased-{user.id}@erased.invalid"


def pseudonym_name(user: User) -> str:
    return f"Erased person {user.id}"


def orders_of_person(user: User):
    """Orders that are the person's: placed signed in, or as a guest with the address they have
    verified (as ``portal.orders.access.owns`` says)."""
    if not user.email_verified:
        return Order.user_id == user.id
    return or_(
        Order.user_id == user.id,
        (Order.user_id.is_(None)) & (func.lower(Order.email) == user.email),
    )


def open_orders(user: User) -> list[OpenOrder]:
    """The person's orders still open, each with what closing the account does to it."""
    orders = db.session.scalars(
        select(Order)
        .where(orders_of_person(user), Order.state.in_(OPEN_STATES), Order.erased_at.is_(None))
        .order_by(Order.id)
    )
    return [
        OpenOrder(order.reference or str(order.id), order.state_label, WHAT_HAPPENS[order.state])
        for order in orders
    ]


def check_owner(user: User, password: str, code: str, *, address: str = "") -> None:
    """The person proves it is them: their password, and a current code when two-factor sign-in
    is on. Raises ``AlreadyErased`` or ``WrongCredentials`` (a wrong code counts towards the
    lockout, and ``two_factor.SecondFactorLocked`` is raised while it lasts)."""
    if user.erased_at is not None:
        raise AlreadyErased()
    password_ok = check_password_hash(user.password_hash, password or "")
    code_ok = True
    if two_factor.is_enabled(user):
        # Checked either way, so the answer does not say which of the two was wrong.
        code_ok = two_factor.check_second_factor(user, code or "", address=address)
    if not (password_ok and code_ok):
        raise WrongCredentials()


def erase_person(user: User, *, by: User | None = None, reason: str = "") -> None:
    """Close ``user``'s account and erase them; ``by`` is the administrator acting on the
    person's request (with their ``reason``), or None when the person does it themselves.

    One savepoint: all or nothing. Flushes; the caller commits.
    """
    if user.erased_at is not None:
        raise AlreadyErased()
    with db.session.begin_nested():
        now = utcnow()
        address = user.email
        _erase_orders(user, now)
        _erase_logs(user)
        _erase_links(user, address)
        _forget_emails(address)
        _erase_insight_requests(user, address)
        _replace_in_free_text(address, pseudonym_email(user))
        _close_account(user, now)
        actor = by if by is not None else Actor(pseudonym_email(user))
        record(
            actor,
            "account.erase",
            "user",
            user.id,
            note=reason if by is not None else "Closed by its owner",
        )


def _erase_orders(user: User, now: datetime) -> None:
    order_ids = select(Order.id).where(orders_of_person(user)).scalar_subquery()
    # Mail about their orders to someone else (a finance contact) names them: renamed too.
    for name in ("subject", "body_text", "body_html") if user.name.strip() else ():
        column = getattr(OutboxEmail, name)
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.order_id.in_(order_ids), column.contains(user.name))
            .values({name: func.replace(column, user.name, pseudonym_name(user))}),
            execution_options={"synchronize_session": "fetch"},
        )
    _drop_sent_attachments(
        select(Order.id).where(
            or_(Order.id.in_(order_ids), func.lower(Order.finance_email) == user.email)
        ),
        user.email,
    )
    db.session.execute(
        update(Order)
        .where(Order.id.in_(order_ids))
        .values(**erased_order_values(pseudonym_email(user), pseudonym_name(user), now)),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        update(Order).where(func.lower(Order.finance_email) == user.email).values(finance_email=""),
        execution_options={"synchronize_session": "fetch"},
    )
    erase_download_addresses(
        or_(
            Download.user_id == user.id,
            Download.order_line_id.in_(
                select(OrderLine.id).where(OrderLine.order_id.in_(order_ids))
            ),
        )
    )


def _drop_sent_attachments(order_ids, address: str) -> None:
    """Mail already sent about these orders keeps no attached copy that names the person (the
    issued document itself stays, unchanged, with the order). Mail still to be sent to someone
    else keeps its attachment: it is that person's copy."""
    attachments = db.session.scalars(
        select(OutboxAttachment)
        .join(OutboxEmail)
        .where(OutboxEmail.order_id.in_(order_ids), OutboxEmail.status.in_(FINISHED))
    )
    for attachment in attachments:
        if address.encode() in attachment.data.lower():
            db.session.delete(attachment)


def erased_order_values(email: str, name: str, now: datetime) -> dict:
    """An order's columns once its buyer is erased: the pseudonym for who bought, every address
    and phone line emptied; the figures, lines and documents untouched."""
    blank = dict.fromkeys(
        (
            "delivery_name",
            "delivery_line1",
            "delivery_line2",
            "delivery_town",
            "delivery_postcode",
            "delivery_organisation",
            "delivery_phone",
            "billing_line1",
            "billing_line2",
            "billing_town",
            "billing_postcode",
            "billing_organisation",
            "billing_phone",
            "finance_email",
        ),
        "",
    )
    return {**blank, "email": email, "name": name, "erased_at": now}


def erase_download_addresses(where) -> int:
    """Forget where downloads were made from (IP address and browser); returns how many."""
    result = db.session.execute(
        update(Download)
        .where(where, or_(Download.ip_address != "", Download.user_agent != ""))
        .values(ip_address="", user_agent=""),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount


def _erase_logs(user: User) -> None:
    # Ending every session signs out every browser; the rows hold IP addresses and browsers.
    db.session.execute(delete(SignedInSession).where(SignedInSession.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SavedAddress).where(SavedAddress.user_id == user.id))
    basket_ids = select(Basket.id).where(Basket.user_id == user.id).scalar_subquery()
    db.session.execute(delete(BasketLine).where(BasketLine.basket_id.in_(basket_ids)))
    db.session.execute(delete(Basket).where(Basket.user_id == user.id))


def _erase_links(user: User, address: str) -> None:
    """The person's ties to organisations, which name them: membership by address, subscription
    contact, manager appointment and finance contact."""
    db.session.execute(delete(OrganisationManager).where(OrganisationManager.user_id == user.id))
    db.session.execute(delete(NamedMember).where(func.lower(NamedMember.email) == address))
    db.session.execute(
        delete(SubscriptionContact).where(func.lower(SubscriptionContact.email) == address)
    )
    db.session.execute(delete(FinanceContact).where(func.lower(FinanceContact.email) == address))


def _forget_emails(address: str) -> None:
    """Unsent mail to the person is forgotten; so are the copies of mail sent to them."""
    for email in db.session.scalars(
        select(OutboxEmail).where(func.lower(OutboxEmail.to_address) == address)
    ):
        db.session.delete(email)  # its attachments go with it
    db.session.flush()


def _erase_insight_requests(user: User, address: str) -> None:
    requests = select(InsightRequest.id).where(
        or_(InsightRequest.user_id == user.id, func.lower(InsightRequest.email) == address)
    )
    ids = list(db.session.scalars(requests))
    if not ids:
        return
    db.session.execute(
        update(InsightRequest)
        .where(InsightRequest.id.in_(ids))
        .values(name=pseudonym_name(user), email=pseudonym_email(user), role="", message=""),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(
        update(InsightRequestEvent).where(InsightRequestEvent.request_id.in_(ids)).values(note=""),
        execution_options={"synchronize_session": "fetch"},
    )


#: Free text that may quote an address: notes, the audit log's snapshots, emails to others.
_FREE_TEXT = (
    (AuditEntry, ("actor_email", "note")),
    (OrderEvent, ("note",)),
    (Order, ("attention",)),
    (OutboxEmail, ("subject", "body_text", "body_html", "to_address")),
)


def _replace_in_free_text(address: str, pseudonym: str) -> None:
    pattern = f"%{address}%"
    for model, columns in _FREE_TEXT:
        for name in columns:
            column = getattr(model, name)
            db.session.execute(
                update(model)
                .where(column.like(pattern))
                .values({name: func.replace(column, address, pseudonym)}),
                execution_options={"synchronize_session": "fetch"},
            )
    # The audit log's before and after snapshots are JSON: rewritten value by value.
    entries = db.session.scalars(
        select(AuditEntry).where(
            or_(
                func.lower(cast(AuditEntry.before, Text)).like(pattern),
                func.lower(cast(AuditEntry.after, Text)).like(pattern),
            )
        )
    )
    for entry in entries:
        entry.before = _replaced(entry.before, address, pseudonym)
        entry.after = _replaced(entry.after, address, pseudonym)


def _replaced(value, address: str, pseudonym: str):
    if isinstance(value, dict):
        return {k: _replaced(v, address, pseudonym) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, address, pseudonym) for v in value]
    if isinstance(value, str) and address in value.lower():
        return value.lower().replace(address, pseudonym)
    return value


def _close_account(user: User, now: datetime) -> None:
    user.email = pseudonym_email(user)
    user.name = pseudonym_name(user)
    user.organisation_name = ""
    user.password_hash = CLOSED_ACCOUNT_HASH
    user.session_token = new_session_token()
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.is_admin = False
    user.admin_confirmed_at = None
    user.last_signed_in_at = None
    user.erased_at = now
    db.session.flush()
