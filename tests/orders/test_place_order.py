"""Placing orders: prices fixed by the pricing rules, the shared free allowance, stock, history."""

import threading
from datetime import date

import pytest
from sqlalchemy import select

from portal.catalogue.models import ReportFormat
from portal.checkout import services as checkout
from portal.extensions import db
from portal.orders import services, states
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Item
from portal.organisations.services import person_for
from portal.pricing import FormatKind

TODAY = date(2026, 11, 26)
ACTIVE = (date(2026, 4, 1), date(2027, 3, 31))


def _format(report, kind):
    return next(f for f in report.formats if f.kind is kind)


@pytest.fixture
def subscriber_setup(create_organisation, create_user, create_report):
    """A subscribing council with two members, and a report (1 free printed copy each)."""
    organisation = create_organisation(
        name="Northmere", domain="northmere.gov.uk", subscribed=ACTIVE
    )
    first = create_user(email="first@northmere.gov.uk")
    second = create_user(email="second@northmere.gov.uk")
    report = create_report()
    return organisation, first, second, report


def _order(user, *items, method=PaymentMethod.CARD):
    return checkout.place_order(
        Buyer.from_user(user), person_for(user, TODAY), list(items), TODAY, method
    )


def test_a_subscribers_pdf_order_is_free_and_complete_at_once(ctx, subscriber_setup):
    organisation, first, _, report = subscriber_setup
    order = _order(first, Item(_format(report, FormatKind.PDF), 1))
    assert order.reference == f"INS-2026-{order.id:06d}"
    assert order.total_pence == 0
    assert order.payment_method is PaymentMethod.FREE
    assert order.state is OrderState.FULFILLED
    assert order.subscriber_organisation_id == organisation.id
    assert [(e.from_state, e.to_state) for e in order.events] == [
        (None, OrderState.PAID),
        (OrderState.PAID, OrderState.FULFILLED),
    ]
    assert order.state_label == "Complete — free with your subscription"
    line = order.lines[0]
    assert line.reason == "Free with your Insight subscription (Northmere)"
    assert (line.report_title, line.format_kind) == (report.title, "pdf")


def test_the_free_printed_copy_is_shared_by_all_members(ctx, subscriber_setup):
    _, first, second, report = subscriber_setup
    printed = _format(report, FormatKind.PRINT)

    one = _order(first, Item(printed, 1))
    two = _order(second, Item(printed, 2))

    assert one.total_pence == 0 and one.state is OrderState.PAID  # posted later: not complete
    assert one.state_label == "Free with your subscription"  # never "Paid"
    assert one.lines[0].reason == ("1 free printed copy with your Insight subscription (Northmere)")
    assert two.total_pence == 2 * 17_500
    assert two.state is OrderState.PENDING_PAYMENT
    assert two.lines[0].reason == (
        "Standard price: Northmere has had its 1 free copy of this report"
    )


def test_a_cancelled_order_gives_its_free_copy_back(ctx, subscriber_setup):
    organisation, first, second, report = subscriber_setup
    printed = _format(report, FormatKind.PRINT)
    one = _order(first, Item(printed, 1))
    states.cancel(one, first.id, "changed my mind")
    assert services.free_copies_used(organisation.id, [printed.id]) == {printed.id: 0}
    assert _order(second, Item(printed, 1)).total_pence == 0


def test_prices_are_fixed_when_ordered(ctx, create_user, create_report):
    user = create_user()
    report = create_report()
    pdf = _format(report, FormatKind.PDF)
    order = _order(user, Item(pdf, 1))
    pdf.price_pence = 99_900
    db.session.flush()
    db.session.expire(order)
    assert order.lines[0].total_pence == 14_500 and order.total_pence == 14_500


def test_invoice_orders_wait_for_invoice_payment(ctx, create_user, create_report):
    order = _order(
        create_user(),
        Item(_format(create_report(), FormatKind.PDF), 1),
        method=PaymentMethod.INVOICE,
    )
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT


def test_printed_copies_are_reserved_and_never_below_zero(ctx, create_user, create_report):
    user = create_user()
    report = create_report()
    printed = _format(report, FormatKind.PRINT)
    _order(user, Item(printed, 7))
    assert printed.stock == 3
    with pytest.raises(services.OutOfStock), db.session.begin_nested():
        _order(user, Item(printed, 4))
    db.session.expire_all()
    assert db.session.get(ReportFormat, printed.id).stock == 3
    assert len(db.session.scalars(select(Order)).all()) == 1


def test_postage_is_added_for_printed_lines(ctx, create_user, create_report):
    report = create_report()
    printed = _format(report, FormatKind.PRINT)
    printed.postage_pence = 450
    order = _order(create_user(), Item(printed, 2), Item(_format(report, FormatKind.PDF), 1))
    assert order.postage_pence == 450
    assert order.total_pence == 2 * 17_500 + 14_500 + 450


@pytest.mark.parametrize(
    ("start", "transition", "allowed"),
    [
        (OrderState.PENDING_PAYMENT, states.mark_paid, True),
        (OrderState.PENDING_PAYMENT, states.mark_fulfilled, False),
        (OrderState.AWAITING_INVOICE_PAYMENT, states.mark_paid, True),
        (OrderState.PAID, states.mark_paid, False),
        (OrderState.PAID, states.mark_fulfilled, True),
        (OrderState.PAID, states.cancel, True),
        (OrderState.FULFILLED, states.cancel, False),
        (OrderState.CANCELLED, states.mark_paid, False),
        (OrderState.CANCELLED, states.cancel, False),
    ],
)
def test_state_changes_only_from_the_right_state(
    ctx, create_user, create_report, start, transition, allowed
):
    user = create_user()
    order = _order(user, Item(_format(create_report(), FormatKind.PDF), 1))
    order.state = start
    before = len(order.events)
    if allowed:
        transition(order, user.id, "by test")
        assert order.events[-1].from_state is start
        assert order.events[-1].actor_user_id == user.id
        assert len(order.events) == before + 1
    else:
        with pytest.raises(states.TransitionRefused):
            transition(order, user.id)
        assert order.state is start and len(order.events) == before


def test_one_click_reuses_the_pdf_the_person_already_holds(ctx, subscriber_setup):
    _, first, _, report = subscriber_setup
    pdf = _format(report, FormatKind.PDF)
    person = person_for(first, TODAY)
    line = checkout.take_free_pdf(first, pdf, person, TODAY)
    again = checkout.take_free_pdf(first, pdf, person, TODAY)
    assert again.id == line.id
    assert db.session.scalars(select(Order)).all() == [line.order]


def test_one_click_is_refused_to_non_subscribers(ctx, create_user, create_report):
    user = create_user()
    pdf = _format(create_report(), FormatKind.PDF)
    with pytest.raises(services.NotEntitled):
        checkout.take_free_pdf(user, pdf, person_for(user, TODAY), TODAY)


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_two_members_ordering_at_once_never_get_more_than_the_allowance(app, subscriber_setup):
    """Both transactions read the allowance; the organisation's row lock makes the second wait
    until the first commits, so exactly one copy is free."""
    _, first, second, report = subscriber_setup
    printed_id = _format(report, FormatKind.PRINT).id
    barrier = threading.Barrier(2)
    totals, errors = [], []

    def order_as(user_id):
        try:
            with app.app_context():
                from portal.accounts.models import User

                user = db.session.get(User, user_id)
                printed = db.session.get(ReportFormat, printed_id)
                barrier.wait(timeout=10)
                order = _order(user, Item(printed, 1))
                totals.append(order.total_pence)
                db.session.commit()
        except Exception as error:  # reported below; a thread cannot fail the test itself
            errors.append(error)

    threads = [threading.Thread(target=order_as, args=(u.id,)) for u in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(totals) == [0, 17_500]
