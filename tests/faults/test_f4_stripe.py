"""Stripe slower than the app server's limit: the buyer sees their order saved (not charged),
reaches it without the session that placed it, and pays it once Stripe is back; the return from
Stripe opens the order in a browser that has lost its session."""

import requests

from tests.faults.buyer import Buyer, pay_on_stripe, signed_link
from tests.faults.journeys import reference_in, wait_until_paid
from tests.scaleout.processes import REQUEST_SECONDS


def test_a_frozen_stripe_shows_the_saved_order_page_and_the_order_is_paid_once_it_is_back(stack):
    buyer = Buyer(stack.portal)
    stack.freeze("stripe-standin")
    try:
        placed = buyer.place_card_order()
    finally:
        stack.thaw("stripe-standin")

    # Answered by the portal, inside the app server's limit: not a worker killed mid-request.
    assert placed.status_code == 503, placed.text[:500]
    assert placed.headers["Retry-After"].isdigit()
    assert "Your order is saved" in placed.text and "You have not been charged" in placed.text
    reference = reference_in(placed.text)

    # The page's link opens the order in a browser that never had the session.
    elsewhere = Buyer(stack.portal).get(signed_link(placed.text))
    assert elsewhere.status_code == 200 and reference in elsewhere.text
    # And the buyer's own browser still has it.
    assert reference in buyer.get(f"/orders/{reference}").text

    # Stripe is back: trying again opens the payment page, and paying pays the order.
    again = buyer.post_form_on(placed.text, f"/orders/{reference}/pay")
    assert again.status_code == 303, again.text[:500]
    back = pay_on_stripe(again.headers["Location"])
    wait_until_paid(stack, reference)

    # The return from Stripe, opened where the session is gone, shows the order.
    returned = Buyer(stack.portal).get(back)
    assert returned.status_code == 200 and reference in returned.text


def test_stripe_frozen_while_confirming_the_return_still_shows_the_order(stack):
    buyer = Buyer(stack.portal)
    to_stripe = buyer.place_card_order()
    assert to_stripe.status_code == 303
    # The webhook waits, so the buyer's return is the portal's first news of the payment.
    requests.post(f"{stack.standin}/_standin/hold", timeout=REQUEST_SECONDS)
    try:
        back = pay_on_stripe(to_stripe.headers["Location"])
        stack.freeze("stripe-standin")
        try:
            returned = Buyer(stack.portal).get(back)  # a browser without the session
        finally:
            stack.thaw("stripe-standin")
    finally:
        requests.post(f"{stack.standin}/_standin/release", timeout=REQUEST_SECONDS)
    assert returned.status_code == 200
    reference = reference_in(returned.text)
    assert "We could not confirm your payment with our card processor yet" in returned.text
    wait_until_paid(stack, reference)
