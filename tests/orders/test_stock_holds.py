"""Who may hold printed stock: invoice orders from unverified addresses wait for an
administrator's approval before taking any; printed copies are capped per order and per address
per London day; a report withdrawn from sale cannot become an order."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.catalogue.models import ReportFormat
from portal.extensions import db
from portal.orders import approval, services, states
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Item
from portal.pricing import GUEST, FormatKind, Person

TODAY = date(2026, 11, 26)
#: Midday in London on TODAY (GMT in November).
MIDDAY = datetime(2026, 11, 26, 12, tzinfo=UTC)
UNVERIFIED = Person(signed_in=True, email_verified=False)
VERIFIED = Person(signed_in=True, email_verified=True)
INVOICE = services.InvoiceDetails("PO-1", "Town Hall", "", "Eastbridge", "EB1 2CD", "ap@x.gov.uk")


def _printed(report) -> ReportFormat:
    return next(f for f in report.formats if f.kind is FormatKind.PRINT)


def _stock(report_format) -> int:
    return db.session.scalar(select(ReportFormat.stock).where(ReportFormat.id == report_format.id))


def _place(
    person,
    *items,
    method=PaymentMethod.INVOICE,
    email="jo@eastbridge.gov.uk",
    today=TODAY,
    at=MIDDAY,
):
    order = services.place_order(
        Buyer(email, "Jo Evans", "Eastbridge"),
        person,
        list(items),
        today,
        method,
        invoice=INVOICE if method is PaymentMethod.INVOICE else None,
    )
    order.created_at = at
    db.session.flush()
    return order


# -- invoice orders from unverified addresses wait for approval --------------------------------


@pytest.mark.parametrize("person", [GUEST, UNVERIFIED], ids=["guest", "unverified"])
def test_an_unverified_invoice_order_takes_no_stock_until_approved(
    ctx, create_report, create_user, person
):
    printed = _printed(create_report())
    order = _place(person, Item(printed, 4))
    assert order.state is OrderState.AWAITING_APPROVAL
    assert _stock(printed) == 10

    admin = create_user(is_admin=True)
    approval.approve(order, admin.id)
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    assert _stock(printed) == 6
    # Approving it approves credit too: it is released before its invoice is paid.
    assert order.downloads_released_at is not None
    assert [(e.from_state, e.to_state, e.actor_user_id) for e in order.events] == [
        (None, OrderState.AWAITING_APPROVAL, None),
        (OrderState.AWAITING_APPROVAL, OrderState.AWAITING_INVOICE_PAYMENT, admin.id),
        (OrderState.AWAITING_INVOICE_PAYMENT, OrderState.AWAITING_INVOICE_PAYMENT, admin.id),
    ]


@pytest.mark.parametrize(
    ("person", "method", "state", "stock_left"),
    [
        (VERIFIED, PaymentMethod.INVOICE, OrderState.AWAITING_INVOICE_PAYMENT, 6),
        (GUEST, PaymentMethod.CARD, OrderState.PENDING_PAYMENT, 6),
        (UNVERIFIED, PaymentMethod.CARD, OrderState.PENDING_PAYMENT, 6),
    ],
)
def test_other_orders_take_their_stock_when_placed(
    ctx, create_report, person, method, state, stock_left
):
    printed = _printed(create_report())
    order = _place(person, Item(printed, 4), method=method)
    assert order.state is state
    assert _stock(printed) == stock_left


def test_an_unverified_invoice_order_of_pdfs_only_needs_no_approval(ctx, create_report):
    pdf = next(f for f in create_report().formats if f.kind is FormatKind.PDF)
    assert _place(GUEST, Item(pdf, 1)).state is OrderState.AWAITING_INVOICE_PAYMENT


def test_approval_is_refused_when_the_stock_has_gone(ctx, create_report):
    printed = _printed(create_report())
    waiting = _place(GUEST, Item(printed, 8))
    _place(VERIFIED, Item(printed, 5))
    with pytest.raises(services.OutOfStock), db.session.begin_nested():
        approval.approve(waiting, None)
    db.session.expire_all()
    assert db.session.get(Order, waiting.id).state is OrderState.AWAITING_APPROVAL
    assert _stock(printed) == 5


def test_cancelling_an_order_waiting_for_approval_gives_back_nothing_it_never_took(
    ctx, create_report
):
    printed = _printed(create_report())
    order = _place(GUEST, Item(printed, 4))
    services.cancel_order(order, None, "Not approved")
    assert order.state is OrderState.CANCELLED
    assert _stock(printed) == 10


@pytest.mark.parametrize(
    ("start", "allowed"),
    [
        (OrderState.AWAITING_APPROVAL, True),
        (OrderState.AWAITING_INVOICE_PAYMENT, False),
        (OrderState.PENDING_PAYMENT, False),
        (OrderState.PAID, False),
        (OrderState.CANCELLED, False),
    ],
)
def test_only_an_order_waiting_for_approval_can_be_approved(ctx, create_report, start, allowed):
    printed = _printed(create_report())
    order = _place(GUEST, Item(printed, 1))
    order.state = start
    if allowed:
        states.approve(order, None, "by test")
        assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    else:
        with pytest.raises(states.TransitionRefused):
            states.approve(order, None)
        assert order.state is start


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (OrderState.AWAITING_APPROVAL, OrderState.CANCELLED, True),
        (OrderState.AWAITING_APPROVAL, OrderState.PAID, False),
        (OrderState.AWAITING_APPROVAL, OrderState.FULFILLED, False),
    ],
)
def test_what_an_order_waiting_for_approval_may_become(start, to, allowed):
    assert (to in states.ALLOWED[start]) is allowed


# -- copies per order and per address per day --------------------------------------------------


def test_a_format_allows_twenty_printed_copies_per_order_by_default(ctx, create_report):
    assert _printed(create_report()).max_copies_per_order == 20


@pytest.mark.parametrize(
    ("earlier", "wanted", "refused"),
    [
        ([], 20, False),
        ([], 21, True),
        ([12], 8, False),
        ([12], 9, True),
        ([5, 5], 11, True),
    ],
)
def test_printed_copies_are_capped_per_order_and_per_address_per_day(
    ctx, create_report, earlier, wanted, refused
):
    printed = _printed(create_report(formats=_formats(stock=500)))
    for copies in earlier:
        _place(VERIFIED, Item(printed, copies), method=PaymentMethod.CARD)
    if refused:
        with pytest.raises(services.CopyLimitReached) as caught, db.session.begin_nested():
            _place(VERIFIED, Item(printed, wanted), method=PaymentMethod.CARD)
        assert "20 printed copies" in str(caught.value)
        db.session.expire_all()
        assert _stock(printed) == 500 - sum(earlier)
    else:
        _place(VERIFIED, Item(printed, wanted), method=PaymentMethod.CARD)


@pytest.mark.parametrize(
    ("email", "at", "cancelled", "counted"),
    [
        ("JO@Eastbridge.gov.uk", MIDDAY, False, True),  # the same address, however written
        ("jo@eastbridge.gov.uk", MIDDAY - timedelta(hours=12, minutes=1), False, False),
        ("jo@eastbridge.gov.uk", MIDDAY - timedelta(hours=11, minutes=59), False, True),
        ("jo@eastbridge.gov.uk", MIDDAY, True, False),
        ("someone.else@eastbridge.gov.uk", MIDDAY, False, False),
    ],
)
def test_which_earlier_orders_count_towards_the_days_copies(
    ctx, create_report, email, at, cancelled, counted
):
    printed = _printed(create_report(formats=_formats(stock=500)))
    earlier = _place(GUEST, Item(printed, 15), email=email, at=at)
    if cancelled:
        services.cancel_order(earlier, None, "Not approved")
    placing = lambda: _place(VERIFIED, Item(printed, 10), method=PaymentMethod.CARD)  # noqa: E731
    if counted:
        with pytest.raises(services.CopyLimitReached), db.session.begin_nested():
            placing()
    else:
        placing()


def test_the_cap_is_the_formats_own(ctx, create_report):
    printed = _printed(create_report(formats=_formats(stock=500, max_copies_per_order=3)))
    with pytest.raises(services.CopyLimitReached, match="3 printed copies"):
        _place(VERIFIED, Item(printed, 4), method=PaymentMethod.CARD)


def _formats(**print_settings):
    return [
        ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
        ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, **print_settings),
    ]


# -- withdrawn from sale ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FormatKind.PDF, FormatKind.PRINT])
def test_a_report_withdrawn_from_sale_cannot_be_ordered(ctx, create_report, kind):
    report = create_report()
    chosen = next(f for f in report.formats if f.kind is kind)
    report.is_published = False
    db.session.flush()
    with pytest.raises(services.NotForSale) as caught, db.session.begin_nested():
        _place(VERIFIED, Item(chosen, 1), method=PaymentMethod.CARD)
    assert caught.value.report_format.id == chosen.id
    assert db.session.scalars(select(Order)).all() == []
    assert _stock(_printed(report)) == 10
