"""Checkout's verbs: a basket becomes an order, and the buyer hears of it in the way its
payment calls for.

A basket, or a subscriber's one-click PDF, becomes an order through ``place_order`` here, which
settles at once an order that costs nothing (``payments.settlement``), so every order placed is
in the state its money says.

Services flush; the caller commits once.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from portal import pricing
from portal.basket import services as baskets
from portal.basket.models import Basket
from portal.catalogue.models import ReportFormat
from portal.content import services as content
from portal.content.models import ContentVersion
from portal.content.pages import ContentPage
from portal.downloads import jobs as download_jobs
from portal.email import send_email
from portal.orders import approval
from portal.orders import services as orders
from portal.orders.access import order_link
from portal.orders.models import Order, OrderLine, PaymentMethod
from portal.payments import invoices, settlement


class NextStep(enum.Enum):
    """What follows once the order is placed."""

    AWAIT_APPROVAL = "await_approval"  # its invoice is issued when it is approved
    PAY_INVOICE = "pay_invoice"  # the VAT invoice is emailed; released once it is paid
    RELEASED_ON_CREDIT = "released_on_credit"  # the VAT invoice is emailed; released already
    NOTHING_TO_PAY = "nothing_to_pay"  # free: complete at once, the confirmation is emailed
    PAY_BY_CARD = "pay_by_card"  # the buyer goes on to Stripe Checkout


@dataclass(frozen=True)
class Placed:
    order: Order
    next_step: NextStep


def place_order(
    buyer: orders.Buyer,
    person: pricing.Person,
    items: list[orders.Item],
    today: date,
    payment_method: PaymentMethod = PaymentMethod.CARD,
    delivery: orders.Delivery | None = None,
    invoice: orders.InvoiceDetails | None = None,
) -> Order:
    """Place an order (``orders.place_order``, whose refusals propagate: the caller rolls back);
    one that costs nothing is settled at once, without a receipt: no money was received."""
    order = orders.place_order(
        buyer, person, items, today, payment_method, delivery=delivery, invoice=invoice
    )
    if order.total_pence == 0:
        settlement.settle(order, "Nothing to pay", buyer.user_id, today, receipt=False)
    return order


def take_free_pdf(
    user, report_format: ReportFormat, person: pricing.Person, today: date
) -> OrderLine:
    """The order line a subscriber downloads a PDF through, in one click.

    A PDF line this person already holds is reused; otherwise a free order is recorded so that
    administrators can see who took what, with the version of the PDF licence in force (the
    report page names it beside the button). Raises ``orders.NotEntitled`` when the PDF is not
    free to them.
    """
    if not pricing.may_take_free_pdf(person, report_format, today):
        raise orders.NotEntitled()
    held = orders.held_line(user.id, report_format)
    if held is not None:
        return held
    item = orders.Item(report_format, 1)
    order = place_order(orders.Buyer.from_user(user), person, [item], today)
    content.record_agreement(order, content.current_versions([ContentPage.LICENCE]).values())
    return order.lines[0]


def place_basket(
    basket: Basket,
    buyer: orders.Buyer,
    person: pricing.Person,
    today: date,
    payment_method: PaymentMethod,
    delivery: orders.Delivery | None = None,
    invoice: orders.InvoiceDetails | None = None,
    accepted: Iterable[ContentVersion] = (),
) -> Placed:
    """Place the basket's items as an order (``place_order``), record with it the versions of
    the terms and licence the buyer ``accepted``, empty the basket, and send what the order's
    payment calls for: the order confirmation for an order that waits for approval, is paid by
    card or cost nothing (no receipt for £0.00), the VAT invoice (which confirms the order) for
    an invoice order.
    """
    order = place_order(
        buyer,
        person,
        baskets.items(basket),
        today,
        payment_method,
        delivery=delivery,
        invoice=invoice,
    )
    content.record_agreement(order, accepted)
    baskets.empty(basket)
    if approval.is_waiting(order):
        send_email("order_confirmation", order.email, order=order, link=order_link(order))
        return Placed(order, NextStep.AWAIT_APPROVAL)
    if order.payment_method is PaymentMethod.INVOICE:
        invoices.issue_invoice_for(order, today)
        if order.released:
            download_jobs.stamp_copies_after_commit(order)
            return Placed(order, NextStep.RELEASED_ON_CREDIT)
        return Placed(order, NextStep.PAY_INVOICE)
    # An order that cost nothing gets its confirmation, never a receipt for £0.00: no money
    # was received.
    send_email("order_confirmation", order.email, order=order, link=order_link(order))
    if order.total_pence == 0:
        return Placed(order, NextStep.NOTHING_TO_PAY)
    return Placed(order, NextStep.PAY_BY_CARD)
