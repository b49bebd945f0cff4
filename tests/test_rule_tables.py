"""Rules kept in module-level tables, entry by entry: removing or adding any entry fails a test
(``make mutation`` changes each table by hand to prove it; see docs/testing.md)."""

import uuid
from datetime import date

import pytest

from portal import pricing
from portal.catalogue.models import FormatKind
from portal.orders.models import OrderState
from portal.payments import gateway, refunds
from portal.payments import services as payments

S = OrderState
TODAY = date(2026, 11, 26)

#: Whether the money of an order in each state has arrived (or it cost nothing).
MONEY_ARRIVED = {
    S.PENDING_PAYMENT: False,
    S.AWAITING_APPROVAL: False,
    S.AWAITING_INVOICE_PAYMENT: False,
    S.PAID: True,
    S.FULFILLED: True,
    S.CANCELLED: False,
}


def test_every_state_is_in_the_table():
    assert set(MONEY_ARRIVED) == set(OrderState)


@pytest.mark.parametrize("state", list(OrderState))
def test_an_owner_may_download_once_the_money_has_arrived_and_not_before(state):
    decision = pricing.may_download_line(
        format_kind=FormatKind.PDF, order_state=state, is_owner=True, is_admin=False
    )
    assert decision.allowed is MONEY_ARRIVED[state]
    assert (decision.reason == "") is MONEY_ARRIVED[state]


@pytest.mark.parametrize(
    ("event_type", "object_type", "to_refunds"),
    [
        ("refund.created", "refund", True),
        ("refund.updated", "refund", True),
        ("refund.failed", "refund", True),
        ("charge.refunded", "charge", True),
        ("charge.refund.updated", "refund", False),  # not an event the portal listens to
        ("checkout.session.completed", "refund", False),  # a payment's, not a refund's
        ("refund.succeeded", "refund", False),  # no such event
    ],
)
def test_the_refund_events_go_to_the_refunds(ctx, monkeypatch, event_type, object_type, to_refunds):
    handed = []
    monkeypatch.setattr(refunds, "handle_refund_event", handed.append)
    event = gateway.Event(
        id=f"evt_{uuid.uuid4().hex}", type=event_type, object_type=object_type, object_id="re_1"
    )

    payments.handle_event(event)

    assert handed == ([event] if to_refunds else [])


def test_the_order_states_are_named_on_the_administrators_order_list(client, admin):
    page = client.get("/admin/orders").get_data(as_text=True)
    for state, label in {
        S.PENDING_PAYMENT: "Waiting for card payment",
        S.AWAITING_APPROVAL: "Waiting for approval",
        S.AWAITING_INVOICE_PAYMENT: "Waiting for invoice payment",
        S.PAID: "Paid",
        S.FULFILLED: "Complete",
        S.CANCELLED: "Cancelled",
    }.items():
        assert state.label == label
        assert f'<option value="{state.value}">{label}</option>' in page


def test_the_format_kinds_are_named_on_the_catalogue_pages(client, admin, create_report):
    report = create_report()
    page = client.get(f"/admin/reports/{report.slug}").get_data(as_text=True)
    assert (FormatKind.PDF.label, FormatKind.PRINT.label) == ("PDF download", "Printed copy")
    assert "PDF download" in page and "Printed copy" in page


# ------------------------------------------------------------------------------------------------
# Wording: what a person is told, word for word


@pytest.mark.parametrize(
    ("kind", "state", "refunded", "told"),
    [
        (
            FormatKind.PDF,
            S.PAID,
            True,
            "This report was refunded (or credited against the invoice), so it can no longer be "
            "downloaded.",
        ),
        (
            FormatKind.PDF,
            S.CANCELLED,
            False,
            "This order was cancelled, so its reports can no longer be downloaded.",
        ),
        (
            FormatKind.PDF,
            S.AWAITING_INVOICE_PAYMENT,
            False,
            "You can download this report once the invoice is paid.",
        ),
        (
            FormatKind.PDF,
            S.PENDING_PAYMENT,
            False,
            "You can download this report once your payment is confirmed.",
        ),
        (
            FormatKind.PDF,
            S.AWAITING_APPROVAL,
            False,
            "You can download this report once we have approved your order.",
        ),
        (FormatKind.PRINT, S.PAID, False, "This item is not a download."),
    ],
)
def test_why_a_download_is_refused_word_for_word(kind, state, refunded, told):
    decision = pricing.may_download_line(
        format_kind=kind, order_state=state, is_owner=True, is_admin=False, refunded=refunded
    )
    assert (decision.allowed, decision.reason) == (False, told)


def test_a_stranger_is_told_only_the_buyer_may_download():
    decision = pricing.may_download_line(
        format_kind=FormatKind.PDF, order_state=S.PAID, is_owner=False, is_admin=False
    )
    assert decision.reason == "Only the buyer of this order can download its reports."


def test_someone_whose_address_names_no_organisation_is_told_so_on_the_account_page():
    person = pricing.Person(signed_in=True, email_verified=True)
    assert pricing.describe_subscription(person, TODAY) == (
        "Your email address is not linked to an organisation that subscribes to Insight."
    )
