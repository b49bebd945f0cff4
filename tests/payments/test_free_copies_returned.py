"""A subscribing organisation's free printed copy comes back to its allowance when the copy is
given back before it is posted: refunded or credited (refunds take the copies paid for first),
closed by a refund of everything paid, or cancelled with its whole order. A copy that was posted
stays used, and so does one refunded only after it was posted."""

from datetime import date

import pytest

from portal.admin.refunds import _outcome as refund_outcome
from portal.catalogue.models import ReportFormat
from portal.checkout import services as checkout
from portal.extensions import db
from portal.orders import admin_services as order_actions
from portal.orders import services as orders
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails, Item
from portal.organisations.services import person_for
from portal.payments import admin_services as payment_actions
from portal.payments import invoices, refunds, settlement
from portal.pricing import FormatKind
from tests.payments.helpers import record_card_payment

TODAY = date(2026, 11, 26)
ACTIVE = (date(2026, 4, 1), date(2027, 3, 31))
ADDRESS = Delivery("Ana Ruiz", "Civic Centre", "", "Northmere", "NM1 1AA")
PAYS = InvoiceDetails("PO-1", "Civic Centre", "", "Northmere", "NM1 1AA", "ap@northmere.gov.uk")


@pytest.fixture
def council(ctx, create_organisation, create_user, create_report):
    """A subscribing council with two members, an administrator, and two reports whose printed
    copies come one free to the council."""
    organisation = create_organisation(
        name="Northmere", domain="northmere.gov.uk", subscribed=ACTIVE
    )
    members = [create_user(email=f"{n}@northmere.gov.uk") for n in ("ana", "ben")]
    reports = [create_report(), create_report()]
    printed = [next(f for f in r.formats if f.kind is FormatKind.PRINT) for r in reports]
    return organisation, members, printed, create_user(is_admin=True)


def _order(user, *items: Item, method=PaymentMethod.INVOICE, paid: bool = True) -> Order:
    invoice = PAYS if method is PaymentMethod.INVOICE else None
    order = checkout.place_order(
        Buyer.from_user(user), person_for(user, TODAY), list(items), TODAY, method, ADDRESS, invoice
    )
    if method is PaymentMethod.INVOICE:
        invoices.issue_invoice_for(order, TODAY)
        if paid:
            invoices.mark_invoice_paid(order, TODAY, "BACS-1", None)
    return order


def _refund(order: Order, copies: dict, by, key: str) -> None:
    refunds.request_refund(
        order, copies, "Not wanted", by, request_key=key, refunded_on=TODAY, bank_reference="R-1"
    )


def _used(organisation, report_format: ReportFormat) -> int:
    return orders.free_copies_used(organisation.id, [report_format.id])[report_format.id]


def _stock(report_format: ReportFormat) -> int:
    db.session.refresh(report_format)
    return report_format.stock


def test_refunding_the_free_copy_of_a_line_gives_it_back(council):
    organisation, (ana, ben), (printed, other), admin = council
    order = _order(ana, Item(printed, 2), Item(other, 2))  # one free, one paid, of each
    line = order.lines[0]
    assert (line.subscriber_quantity, line.total_pence) == (1, 17_500)
    assert _used(organisation, printed) == 1

    _refund(order, {line.id: 1}, admin, "first")  # the copy paid for goes first
    assert (line.refunded_quantity, line.free_copies_returned) == (1, 0)
    assert _used(organisation, printed) == 1

    _refund(order, {line.id: 1}, admin, "second")  # the free one, worth nothing
    assert (line.refunded_quantity, line.free_copies_returned) == (2, 1)
    assert _used(organisation, printed) == 0
    again = _order(ben, Item(printed, 1), method=PaymentMethod.CARD)
    assert again.total_pence == 0 and "1 free printed copy with" in again.lines[0].reason


@pytest.mark.parametrize(
    ("method", "paid"),
    [(PaymentMethod.INVOICE, True), (PaymentMethod.INVOICE, False), (PaymentMethod.CARD, True)],
    ids=["refunded", "credited", "card"],
)
def test_a_free_line_not_yet_posted_is_given_back_for_nothing(council, outbox, method, paid):
    organisation, (ana, _), (printed, other), admin = council
    order = _order(ana, Item(printed, 1), Item(other, 2), method=method, paid=paid)
    if method is PaymentMethod.CARD:
        record_card_payment(order)
        settlement.settle(order, "Card payment", None, TODAY)
    free, mixed = order.lines
    assert free.total_pence == 0
    stock = _stock(printed)
    db.session.commit()
    outbox.clear()

    _refund(order, {free.id: 1}, admin, "free")

    (refund,) = refunds.refunds_of(order)
    assert (refund.amount_pence, refund.status.value, refund.credit_note_id) == (
        0,
        "succeeded",
        None,
    )
    assert refund.stripe_refund_id is None  # nothing goes back to a card: Stripe is not asked
    assert free.refunded_at is not None and free.free_copies_returned == 1
    assert _used(organisation, printed) == 0 and _stock(printed) == stock + 1
    assert mixed.refunded_at is None and order.attention == ""
    assert order.events[-1].note == "Free printed copies given back before posting: Not wanted"
    assert refund_outcome(refund).startswith("The free printed copies will not be posted")
    db.session.commit()  # emails go once the change is committed
    (email,) = [m for m in outbox if m.to == [ana.email]]
    assert (
        email.subject
        == f"Free printed copies not posted for your Socitm Insight order {order.reference}"
    )
    assert "They were free with your Insight subscription" in email.body
    assert email.attachments == []


def test_a_free_copy_already_posted_cannot_be_refunded(council):
    organisation, (ana, _), (printed, other), admin = council
    order = _order(ana, Item(printed, 1), Item(other, 2))
    order_actions.mark_dispatched(order, TODAY, "Royal Mail", admin)
    with pytest.raises(refunds.RefundRefused, match="cost nothing, so there is nothing to refund"):
        _refund(order, {order.lines[0].id: 1}, admin, "posted")
    assert _used(organisation, printed) == 1


def test_a_free_line_closed_by_refunding_everything_paid_gives_its_copy_back(council):
    organisation, (ana, _), (first, second), admin = council
    order = _order(ana, Item(first, 1), Item(second, 2))
    free, mixed = order.lines
    assert (free.total_pence, mixed.total_pence) == (0, 17_500)
    stock = (_stock(first), _stock(second))

    _refund(order, {mixed.id: 2}, admin, "all")

    assert free.refunded_at is not None and free.refunded_quantity == 1
    assert (free.free_copies_returned, mixed.free_copies_returned) == (1, 1)
    assert (_used(organisation, first), _used(organisation, second)) == (0, 0)
    assert (_stock(first), _stock(second)) == (stock[0] + 1, stock[1] + 2)
    assert order.state is OrderState.FULFILLED  # nothing is left to post


def test_a_copy_posted_before_it_was_refunded_stays_used(council):
    organisation, (ana, _), (printed, _), admin = council
    order = _order(ana, Item(printed, 2))
    (line,) = order.lines
    order_actions.mark_dispatched(order, TODAY, "Royal Mail", admin)
    stock = _stock(printed)

    _refund(order, {line.id: 2}, admin, "posted")

    assert (line.refunded_quantity, line.free_copies_returned) == (2, 0)
    assert _used(organisation, printed) == 1
    assert _stock(printed) == stock


def test_free_copies_refunded_before_the_rest_were_posted_stay_given_back(council):
    organisation, (ana, _), (printed, other), admin = council
    printed.free_copies_per_organisation = 2
    order = _order(ana, Item(printed, 3), Item(other, 2))  # two free and one paid, then 1 and 1
    line = order.lines[0]
    _refund(order, {line.id: 2}, admin, "two")  # the paid copy, then a free one
    assert _used(organisation, printed) == 1

    order_actions.mark_dispatched(order, TODAY, "Royal Mail", admin)

    assert line.dispatched_at is not None
    assert _used(organisation, printed) == 1


def test_cancelling_a_free_order_gives_its_free_copy_back(council):
    organisation, (ana, ben), (printed, _), admin = council
    order = _order(ana, Item(printed, 1), method=PaymentMethod.CARD)  # costs nothing: paid
    assert (order.payment_method, order.state) == (PaymentMethod.FREE, OrderState.PAID)
    assert _used(organisation, printed) == 1

    payment_actions.cancel_order(order, "Sent to the wrong office", admin, TODAY)

    assert order.state is OrderState.CANCELLED
    assert _used(organisation, printed) == 0
    assert _order(ben, Item(printed, 1), method=PaymentMethod.CARD).total_pence == 0


def test_cancelling_a_paid_order_with_a_free_copy_gives_it_back(council):
    organisation, (ana, _), (printed, _), admin = council
    order = _order(ana, Item(printed, 2))
    payment_actions.cancel_order(order, "Event called off", admin, TODAY)
    assert order.state is OrderState.CANCELLED
    assert _used(organisation, printed) == 0


def test_refunding_everything_paid_closes_every_line_giving_back_only_copies_left(council):
    organisation, (ana, _), (printed, other), admin = council
    printed.free_copies_per_organisation = 2
    pdf = next(f for f in printed.report.formats if f.kind is FormatKind.PDF)
    # One paid and one free copy; two free copies; a PDF free with the subscription.
    order = _order(ana, Item(other, 2), Item(printed, 2), Item(pdf, 1))
    mixed, free, free_pdf = order.lines
    assert (free.total_pence, free_pdf.total_pence) == (0, 0)
    _refund(order, {free.id: 1}, admin, "one free copy")  # given back for nothing
    stock = _stock(printed)

    _refund(order, {mixed.id: 2}, admin, "everything paid")

    assert all(line.refunded_at is not None for line in order.lines)
    assert (free.refunded_quantity, free.free_copies_returned) == (2, 2)
    assert _stock(printed) == stock + 1  # the one copy not given back before
    assert _used(organisation, printed) == 0
    assert free_pdf.refunded_quantity == 0  # closed: a PDF has no copy to give back


def test_free_copies_come_back_one_refund_at_a_time(council):
    organisation, (ana, _), (printed, other), admin = council
    printed.free_copies_per_organisation = 3
    # One paid copy, then three free; the other line keeps money paid on the order.
    order = _order(ana, Item(printed, 4), Item(other, 2))
    line = order.lines[0]

    _refund(order, {line.id: 2}, admin, "the paid copy and a free one")
    assert (line.free_copies_returned, _used(organisation, printed)) == (1, 2)

    _refund(order, {line.id: 1}, admin, "another free one")
    assert (line.free_copies_returned, _used(organisation, printed)) == (2, 1)
