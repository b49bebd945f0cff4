"""Invoice orders: released on credit terms, or waiting for an administrator to approve credit.

An invoice order from a verified address of a known organisation or a public-sector domain is
released when placed (``pricing.credit_terms`` decides; ``credit_for`` gathers its facts): its
PDFs may be downloaded and its printed copies posted before the invoice is paid. Any other
invoice order waits for its invoice's payment, or for an administrator to approve credit, which
releases it (``release``).

Of those that wait, some also wait before they take printed copies.

Anyone may place an invoice order without paying anything, so an order that would hold stock
on the word of an address nobody has verified could tie up every printed copy. Such an order is
placed in ``awaiting_approval``: it takes no stock, its page and email say it waits, and an
administrator's approval takes the copies (or says there are not enough) and lets it go on to
its invoice. Which orders wait is decided here, in one rule, so the order, the checkout and the
administrators' pages never disagree.

Services flush; the caller commits once (and rolls back when approval is refused).
"""

from portal import pricing
from portal.clock import utcnow
from portal.extensions import db
from portal.orders import states, stock
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.organisations.services import credit_terms_for


def credit_for(
    person: pricing.Person, email: str, payment_method: PaymentMethod
) -> pricing.CreditTerms | None:
    """The credit decision for an order paid ``payment_method`` by ``person`` as ``email``
    (None for anything but an invoice order): the one question the checkout review, placing an
    order and switching an order to invoice all ask."""
    if payment_method is not PaymentMethod.INVOICE:
        return None
    return credit_terms_for(person, email)


def release(order: Order, by_user_id: int | None, note: str) -> bool:
    """Release an unpaid invoice order before payment: its PDFs may be downloaded and its
    printed copies join the dispatch queue. False (and nothing written) when it already was.
    The caller stamps the PDF copies after the commit."""
    if order.downloads_released_at is not None:
        return False
    order.downloads_released_at = utcnow()
    states.add_note(order, by_user_id, note)
    db.session.flush()
    return True


def waits_for_approval(
    person: pricing.Person, payment_method: PaymentMethod, items: list[stock.Item]
) -> bool:
    """Whether an order of ``items`` must wait for approval before it takes printed copies:
    an invoice order with printed copies from someone whose address is not verified (a guest,
    or an account not yet verified). Card orders hold copies only while Stripe's payment page
    is open; verified buyers' invoice orders take theirs when placed."""
    return (
        payment_method is PaymentMethod.INVOICE
        and not person.email_verified
        and bool(stock.printed_copies(items))
    )


def is_waiting(order: Order) -> bool:
    return order.state is OrderState.AWAITING_APPROVAL


def approve(order: Order, by_user_id: int | None, note: str = "Approved") -> None:
    """Approve an order that waits: take its printed copies out of stock, let it wait for its
    invoice's payment (recorded in its history) and release it on credit.

    Raises ``states.TransitionRefused`` when the order is not waiting for approval, and
    ``stock.OutOfStock`` when there are not enough copies (the caller rolls back).
    """
    if not is_waiting(order):
        raise states.TransitionRefused(order, OrderState.AWAITING_INVOICE_PAYMENT)
    stock.reserve([stock.Item(line.report_format, line.quantity) for line in order.lines])
    states.approve(order, by_user_id, note)
    release(order, by_user_id, CREDIT_APPROVED)


#: The history note of an order released because an administrator approved credit.
CREDIT_APPROVED = "Credit approved: released before the invoice is paid"
