"""What chosen copies of a line are worth: the dearest copies first, VAT in proportion, and a
line refunded a few copies at a time adding up exactly to the line."""

from types import SimpleNamespace

import pytest

from portal.payments.refund_lines import LineRefused, copies_left, worth


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
        (_line(1, 1, 14_500, 0), 0, 0),  # free: nothing to give back
        (_line(1, 0, 14_500, 0, refunded_at="closed"), 0, 0),
    ],
)
def test_copies_left_to_refund(line, already, left):
    assert copies_left(line, already) == left


def test_a_refusal_says_why_in_its_message_and_its_text():
    refused = LineRefused("Choose at least one line to refund.")
    assert refused.message == str(refused) == "Choose at least one line to refund."
