"""Finance contacts: the address that pays an invoice, given by whoever placed the order.

Anyone placing an invoice order can type any address as its finance contact, and every invoice
(and reminder) is emailed there with the PDF attached. Until someone at that address has opened
a link from one of those emails, it gets at most ``DAILY_EMAILS`` a London day; the rest are held
in the outbox, visible to administrators with the reason, and released the moment the address is
confirmed. Held, not dropped: an invoice is a document the finance team will need, and the buyer
has its own copy meanwhile.

Services flush; the caller commits.
"""

from datetime import date

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.email import release_held, send_email
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.orders.access import order_link, order_token
from portal.orders.models import Order
from portal.payments.models import FinanceContact
from portal.public_url import external_url

#: Emails a London day to a finance contact nobody there has confirmed.
DAILY_EMAILS = 3
_SALT = "payments.finance-contact"
_TOKEN_LENGTH = 300


def held_reason(limit: int = DAILY_EMAILS) -> str:
    return (
        f"Finance contact not yet confirmed: it has had {limit} emails today. "
        "Sent once someone there opens a link from one of them."
    )


def normalise(address: str) -> str:
    return address.strip().lower()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def contact_link(order: Order, address: str) -> str:
    """The order page's signed link (as in the buyer's emails) carrying a second signed token
    that names ``address``: opening it confirms the finance contact."""
    return external_url(
        "orders.show",
        reference=order.reference,
        token=order_token(order),
        contact=_serializer().dumps(normalise(address)),
    )


def _locked_contact(address: str) -> FinanceContact:
    """The contact's row, created if new, locked until the transaction ends so two orders placed
    at once count their emails one after the other."""
    query = select(FinanceContact).where(FinanceContact.email == address).with_for_update()
    contact = db.session.scalar(query)
    if contact is not None:
        return contact
    try:
        with db.session.begin_nested():
            contact = FinanceContact(email=address, emails_that_day=0)
            db.session.add(contact)
        return contact
    except IntegrityError:
        return db.session.scalars(query).one()  # another order created it meanwhile


def email_finance_contact(
    name: str, address: str, order: Order, today: date, **context
) -> OutboxEmail | None:
    """Email ``name`` about ``order`` to its finance contact ``address``, with a link that
    confirms the address; held in the outbox when an unconfirmed contact has had its
    ``DAILY_EMAILS`` for ``today`` (a London date)."""
    address = normalise(address)
    contact = _locked_contact(address)
    held = ""
    if contact.confirmed_at is None:
        if contact.emails_on != today:
            contact.emails_on, contact.emails_that_day = today, 0
        if contact.emails_that_day >= DAILY_EMAILS:
            held = held_reason()
        else:
            contact.emails_that_day += 1
    # The contact's own cap (or confirmation) stands in for the per-address limit.
    return send_email(
        name,
        address,
        order=order,
        limited=False,
        held=held,
        link=contact_link(order, address),
        **context,
    )


def finance_contact_of(order: Order) -> str:
    """The address of the order's finance contact when it is someone other than the buyer,
    else ''."""
    finance = normalise(order.finance_email)
    return finance if finance and finance != order.email.lower() else ""


def email_buyer_and_finance(name: str, order: Order, today: date, **context) -> None:
    """Email ``name`` about ``order`` to the buyer, and a copy to its finance contact (within
    that contact's limits): every document of an invoice order goes to both."""
    send_email(name, order.email, order=order, link=order_link(order), **context)
    if finance := finance_contact_of(order):
        email_finance_contact(name, finance, order, today, **context)


def confirm(token: str | None) -> bool:
    """Confirm the finance contact named in ``token`` (from ``contact_link``) and release its
    held emails. Returns whether anything changed; a bad or unknown token changes nothing."""
    if not token or len(token) > _TOKEN_LENGTH:
        return False
    try:
        address = _serializer().loads(token)
    except BadSignature:
        return False
    if not isinstance(address, str):
        return False
    contact = db.session.scalar(
        select(FinanceContact).where(FinanceContact.email == address).with_for_update()
    )
    if contact is None or contact.confirmed_at is not None:
        return False
    contact.confirmed_at = utcnow()
    release_held(address)
    db.session.flush()
    return True


def is_confirmed(address: str) -> bool:
    return (
        db.session.scalar(
            select(FinanceContact.confirmed_at).where(FinanceContact.email == normalise(address))
        )
        is not None
    )
