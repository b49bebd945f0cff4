"""Orders that wait for an administrator's approval before they take printed copies.

Anyone may place an invoice order without paying anything, so an order that would hold stock
on the word of an address nobody has verified could tie up every printed copy. Such an order is
placed in ``awaiting_approval``: it takes no stock, its page and email say it waits, and an
administrator's approval takes the copies (or says there are not enough) and lets it go on to
its invoice. Which orders wait is decided here, in one rule, so the order, the checkout and the
administrators' pages never disagree.

Services flush; the caller commits once (and rolls back when approval is refused).
"""

from portal import pricing
from portal.orders import states, stock
from portal.orders.models import Order, OrderState, PaymentMethod


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
    """Approve an order that waits: take its printed copies out of stock, then let it wait for
    its invoice's payment (recorded in its history).

    Raises ``states.TransitionRefused`` when the order is not waiting for approval, and
    ``stock.OutOfStock`` when there are not enough copies (the caller rolls back).
    """
    if not is_waiting(order):
        raise states.TransitionRefused(order, OrderState.AWAITING_INVOICE_PAYMENT)
    stock.reserve([stock.Item(line.report_format, line.quantity) for line in order.lines])
    states.approve(order, by_user_id, note)
