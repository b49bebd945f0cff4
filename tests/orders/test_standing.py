"""What is owed on an order and what has been delivered: two separate facts, from one function."""

from datetime import UTC, datetime

import pytest

from portal.orders import standing
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.orders.standing import Money
from portal.pricing import FormatKind

POSTED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
RELEASED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _order(state, method=PaymentMethod.INVOICE, *, pdf=True, printed=0, posted=False, **fields):
    lines = []
    if pdf:
        lines.append(OrderLine(format_kind=FormatKind.PDF, quantity=1, total_pence=14_500))
    if printed:
        lines.append(
            OrderLine(
                format_kind=FormatKind.PRINT,
                quantity=printed,
                total_pence=17_500 * printed,
                dispatched_at=POSTED if posted else None,
            )
        )
    return Order(
        state=state,
        payment_method=method,
        total_pence=sum(line.total_pence for line in lines),
        lines=lines,
        **fields,
    )


INVOICED = Money(invoiced=True)


@pytest.mark.parametrize(
    ("order", "money", "owed", "delivered"),
    [
        # Released on credit: the whole invoice owed, the PDF downloadable, copies to post.
        (
            _order(OrderState.AWAITING_INVOICE_PAYMENT, printed=2, downloads_released_at=RELEASED),
            INVOICED,
            "Invoiced",
            "Downloadable",
        ),
        # Released and posted before payment: delivered in full, still owed in full.
        (
            _order(
                OrderState.AWAITING_INVOICE_PAYMENT,
                printed=2,
                posted=True,
                downloads_released_at=RELEASED,
            ),
            INVOICED,
            "Invoiced",
            "Complete",
        ),
        # Waiting for payment or approved credit: owed, nothing delivered.
        (_order(OrderState.AWAITING_INVOICE_PAYMENT), INVOICED, "Invoiced", "Not released"),
        (
            _order(OrderState.AWAITING_APPROVAL, printed=1),
            Money(),
            "Not invoiced yet",
            "Not released",
        ),
        (
            _order(OrderState.PENDING_PAYMENT, PaymentMethod.CARD),
            Money(),
            "Waiting for card payment",
            "Not released",
        ),
        # Paid: owed nothing; printed copies may still be waiting.
        (_order(OrderState.PAID, printed=1), Money(True, 32_000), "Paid", "Downloadable"),
        (
            _order(OrderState.PAID, pdf=False, printed=1),
            Money(paid_pence=17_500),
            "Paid",
            "Waiting to be posted",
        ),
        (_order(OrderState.FULFILLED), Money(paid_pence=14_500), "Paid", "Complete"),
        (
            _order(OrderState.FULFILLED, PaymentMethod.CARD),
            Money(paid_pence=14_500, refunded_pence=5_000, credited_pence=5_000),
            "Part-refunded",
            "Complete",
        ),
        (
            _order(OrderState.FULFILLED, PaymentMethod.CARD),
            Money(paid_pence=14_500, credited_pence=5_000, refund_owed_pence=5_000),
            "Refund owed",
            "Complete",
        ),
        (
            _order(OrderState.CANCELLED, PaymentMethod.CARD),
            Money(paid_pence=14_500, refunded_pence=14_500, credited_pence=14_500),
            "Refunded",
            "Nothing delivered",
        ),
        # Credit notes against an unpaid invoice.
        (
            _order(OrderState.CANCELLED),
            Money(invoiced=True, credited_pence=14_500),
            "Credited",
            "Nothing delivered",
        ),
        (
            _order(OrderState.AWAITING_INVOICE_PAYMENT, printed=1),
            Money(invoiced=True, credited_pence=17_500),
            "Part-credited",
            "Not released",
        ),
        (_order(OrderState.PAID, PaymentMethod.FREE), Money(), "Nothing to pay", "Complete"),
    ],
)
def test_owed_and_delivered_are_separate_facts(order, money, owed, delivered):
    found = standing.standing(order, money)
    assert (found.owed, found.delivered) == (owed, delivered)


def test_what_is_outstanding():
    order = _order(OrderState.AWAITING_INVOICE_PAYMENT, printed=1)
    assert standing.standing(order, INVOICED).outstanding_pence == 32_000
    credited = Money(invoiced=True, credited_pence=17_500)
    assert standing.standing(order, credited).outstanding_pence == 14_500
    paid = _order(OrderState.PAID, printed=1)
    assert standing.standing(paid, Money(True, 32_000)).outstanding_pence == 0


def test_copies_refunded_before_posting_are_not_to_post():
    order = _order(OrderState.PAID, pdf=False, printed=3)
    order.lines[0].refunded_quantity = 1
    found = standing.standing(order, Money(paid_pence=52_500, refunded_pence=17_500))
    assert (found.delivered, found.delivered_detail) == (
        "Waiting to be posted",
        "2 printed copies to post.",
    )


def test_the_words_say_complete_never_fulfilled():
    labels = {
        value for name, value in vars(standing).items() if name.isupper() and isinstance(value, str)
    }
    assert "Complete" in labels
    assert not any("fulfil" in label.lower() for label in labels)


@pytest.mark.parametrize(
    ("state", "released", "may"),
    [
        (OrderState.PAID, False, True),
        (OrderState.FULFILLED, False, True),
        (OrderState.AWAITING_INVOICE_PAYMENT, True, True),
        (OrderState.AWAITING_INVOICE_PAYMENT, False, False),
        (OrderState.AWAITING_APPROVAL, False, False),
        (OrderState.PENDING_PAYMENT, False, False),
        (OrderState.CANCELLED, True, False),
    ],
)
def test_what_may_be_delivered(state, released, may):
    order = _order(state, downloads_released_at=RELEASED if released else None)
    assert standing.may_deliver(order) is may
