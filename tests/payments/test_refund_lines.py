"""What chosen copies of a line are worth: the dearest copies first, VAT in proportion, and a
line refunded a few copies at a time adding up exactly to the line; and how a refund's lines are
printed on its credit note and written in the order's history."""

from datetime import date
from types import SimpleNamespace

import pytest

from portal.documents.printed import Line
from portal.payments.models import RefundMethod
from portal.payments.refund_effects import history_note
from portal.payments.refund_lines import (
    LineRefused,
    copies_left,
    printed_lines,
    subscriber_copies_of_first,
    worth,
)


def _line(quantity, subscriber_quantity, standard, subscriber, vat_rate=0, **extra):
    net = (quantity - subscriber_quantity) * standard + subscriber_quantity * subscriber
    vat = (net * vat_rate + 5_000) // 10_000
    return SimpleNamespace(
        quantity=quantity,
        subscriber_quantity=subscriber_quantity,
        standard_unit_pence=standard,
        subscriber_unit_pence=subscriber,
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        refunded_quantity=extra.get("refunded_quantity", 0),
        refunded_at=extra.get("refunded_at"),
        format_kind=extra.get("format_kind", "print"),
        dispatched_at=extra.get("dispatched_at"),
    )


@pytest.mark.parametrize(
    ("line", "already", "copies", "expected"),
    [
        (_line(1, 0, 14_500, 0), 0, 1, (14_500, 0)),
        (_line(3, 0, 17_500, 0), 0, 1, (17_500, 0)),
        (_line(3, 0, 17_500, 0), 1, 2, (35_000, 0)),
        # One copy free with a subscription, two at the standard price: the paid ones go first.
        (_line(3, 1, 17_500, 0), 0, 1, (17_500, 0)),
        (_line(3, 1, 17_500, 0), 2, 1, (0, 0)),
        # Two at a subscriber price of £25, one at the standard £175: the £175 one, then £25 each.
        (_line(3, 2, 17_500, 2_500), 0, 1, (17_500, 0)),
        (_line(3, 2, 17_500, 2_500), 0, 2, (20_000, 0)),
        (_line(3, 2, 17_500, 2_500), 1, 1, (2_500, 0)),
        (_line(3, 2, 17_500, 2_500), 1, 2, (5_000, 0)),
        # VAT in proportion, rounded halves up, the last copies taking what is left of it.
        (_line(3, 0, 1_001, 0, vat_rate=2_000), 0, 1, (1_001, 200)),
        (_line(3, 0, 1_001, 0, vat_rate=2_000), 1, 1, (1_001, 201)),
        (_line(3, 0, 1_001, 0, vat_rate=2_000), 2, 1, (1_001, 200)),
    ],
)
def test_copies_are_worth_what_they_cost(line, already, copies, expected):
    assert worth(line, already, copies) == expected


@pytest.mark.parametrize("steps", [[1, 1, 1], [2, 1], [1, 2], [3]])
@pytest.mark.parametrize(
    "line",
    [_line(3, 1, 17_500, 2_500, vat_rate=2_000), _line(3, 0, 333, 0, vat_rate=1_750)],
    ids=["subscriber-mix", "awkward-vat"],
)
def test_a_line_refunded_in_steps_adds_up_to_the_line(line, steps):
    already, net, vat = 0, 0, 0
    for copies in steps:
        step_net, step_vat = worth(line, already, copies)
        assert step_net >= 0 and step_vat >= 0
        net, vat, already = net + step_net, vat + step_vat, already + copies
    assert (net, vat) == (line.net_pence, line.vat_pence)


@pytest.mark.parametrize(
    ("line", "already", "left"),
    [
        (_line(3, 0, 17_500, 0), 0, 3),
        (_line(3, 0, 17_500, 0), 2, 1),
        (_line(3, 0, 17_500, 0, refunded_quantity=3), 0, 0),
        (_line(1, 1, 14_500, 0, format_kind="pdf"), 0, 0),  # a free PDF: nothing to give back
        (_line(1, 0, 1, 0, format_kind="pdf"), 0, 1),  # a PDF that cost a penny
        # Free printed copies not yet posted go back (for nothing) to the allowance.
        (_line(2, 2, 17_500, 0), 0, 2),
        (_line(2, 2, 17_500, 0), 1, 1),
        (_line(2, 2, 17_500, 0, dispatched_at="posted"), 0, 0),
        (_line(1, 0, 14_500, 0, refunded_at="closed"), 0, 0),
        (_line(1, 1, 17_500, 0, refunded_at="closed"), 0, 0),
    ],
)
def test_copies_left_to_refund(line, already, left):
    assert copies_left(line, already) == left


@pytest.mark.parametrize(
    ("line", "copies", "free"),
    [
        (_line(3, 1, 17_500, 0), 0, 0),
        (_line(3, 1, 17_500, 0), 2, 0),  # the two paid for go first
        (_line(3, 1, 17_500, 0), 3, 1),
        (_line(3, 1, 17_500, 0), 9, 1),  # never more than the line has
        (_line(3, 2, 17_500, 0), 2, 1),
        (_line(2, 2, 17_500, 0), 1, 1),
        (_line(2, 0, 17_500, 0), 2, 0),
        (_line(2, 1, 17_500, 17_500), 1, 0),  # at one price, those paid for still go first
        (_line(3, 1, 2_000, 5_000), 1, 1),  # a subscriber price above the standard one
        (_line(3, 1, 2_000, 5_000), 3, 1),
    ],
)
def test_free_copies_among_those_refunds_take_first(line, copies, free):
    assert subscriber_copies_of_first(line, copies) == free


def test_a_refusal_says_why_in_its_message_and_its_text():
    refused = LineRefused("Choose at least one line to refund.")
    assert refused.message == str(refused) == "Choose at least one line to refund."


def _refunded(title, kind, quantity, net, vat, rate=2_000):
    ordered = SimpleNamespace(report_title=title, format_kind=kind, vat_rate_basis_points=rate)
    return SimpleNamespace(
        order_line=ordered, quantity=quantity, net_pence=net, vat_pence=vat, total_pence=net + vat
    )


def test_the_credit_note_prints_each_line_given_back_and_the_postage():
    lines = [
        _refunded("Channel shift", "pdf", 1, 14_500, 2_900),
        _refunded("Channel shift", "print", 2, 35_000, 0, rate=0),
        _refunded("Old stock", "microfiche", 1, 100, 20),  # a format with no name of its own
    ]
    assert printed_lines(lines, 450) == (
        Line("Channel shift (PDF download)", 1, None, 14_500, 2_000, 2_900, 17_400),
        Line("Channel shift (printed copy)", 2, None, 35_000, 0, 0, 35_000),
        Line("Old stock (microfiche)", 1, None, 100, 2_000, 20, 120),
        Line("Postage and packing", None, None, 450, 0, 0, 450),
    )
    assert printed_lines(lines[:1], 0) == printed_lines(lines, 450)[:1]  # no postage, no line


@pytest.mark.parametrize(
    ("method", "reason", "note"),
    [
        (RefundMethod.CARD, "Ordered twice", "Refund of £175.50: Ordered twice"),
        (RefundMethod.CARD, "", "Refund of £175.50"),
        (
            RefundMethod.CREDIT,
            "One copy too many",
            "Credit of £175.50 against the invoice: One copy too many",
        ),
        (
            RefundMethod.BANK_TRANSFER,
            "",
            "Refund of £175.50 by bank transfer on 3 December 2026, reference REFUND-77",
        ),
    ],
)
def test_the_history_says_how_much_went_back_how_and_why(method, reason, note):
    refund = SimpleNamespace(
        amount_pence=17_550,
        method=method,
        reason=reason,
        refunded_on=date(2026, 12, 3),
        bank_reference="REFUND-77",
    )
    assert history_note(refund) == note
