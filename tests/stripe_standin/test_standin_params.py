"""Stripe's bracketed form encoding, parsed into nested data."""

import pytest

from stripe_standin.errors import StripeAPIError
from stripe_standin.params import canonical, parse_params


def test_nested_objects_and_lists_as_the_sdk_encodes_them():
    pairs = [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "gbp"),
        ("line_items[0][price_data][unit_amount]", "14500"),
        ("line_items[0][price_data][product_data][name]", "Report"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("metadata[order_id]", "12"),
        ("expand[0]", "payment_intent"),
    ]
    assert parse_params(pairs) == {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "gbp",
                    "unit_amount": "14500",
                    "product_data": {"name": "Report"},
                },
                "quantity": "2",
            },
            {"quantity": "1"},
        ],
        "metadata": {"order_id": "12"},
        "expand": ["payment_intent"],
    }


def test_empty_brackets_append_and_indices_may_arrive_out_of_order():
    assert parse_params([("expand[]", "a"), ("expand[]", "b")]) == {"expand": ["a", "b"]}
    assert parse_params([("x[1]", "second"), ("x[0]", "first")]) == {"x": ["first", "second"]}


@pytest.mark.parametrize(
    "pairs",
    [
        [("a", "1"), ("a[b]", "2")],
        [("a[b]", "1"), ("a[0]", "2")],
        [("a", "1"), ("a", "2")],
        [("a[b", "1")],
        [("[a]", "1")],
    ],
)
def test_contradictory_or_malformed_keys_are_a_400(pairs):
    with pytest.raises(StripeAPIError) as raised:
        parse_params(pairs)
    assert raised.value.status == 400
    assert raised.value.body()["error"]["type"] == "invalid_request_error"


def test_canonical_form_ignores_key_order_but_not_list_order():
    assert canonical({"a": "1", "b": ["x", "y"]}) == canonical({"b": ["x", "y"], "a": "1"})
    assert canonical({"b": ["x", "y"]}) != canonical({"b": ["y", "x"]})
