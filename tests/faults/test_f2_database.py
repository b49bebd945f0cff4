"""PostgreSQL stopped in the middle of journeys: every page answers 503 with Retry-After and says
truthfully what was saved; the buyer back from paying is told their payment is safe; all is well
once the database is back."""

import signal

import requests

from tests.faults.buyer import Buyer, pay_on_stripe
from tests.faults.journeys import place_and_pay, reference_in, wait_until_paid
from tests.scaleout.processes import REQUEST_SECONDS, wait_for


def test_a_database_outage_answers_503_and_says_what_was_saved(stack):
    buyer = Buyer(stack.portal)
    to_stripe = buyer.place_card_order()
    assert to_stripe.status_code == 303
    payment_page = to_stripe.headers["Location"]
    # Stop the webhook reaching the portal meanwhile, so the return is the first news of it.
    requests.post(f"{stack.standin}/_standin/hold", timeout=REQUEST_SECONDS)
    try:
        back = pay_on_stripe(payment_page)
        stack.stop("postgres", signal.SIGINT)  # a fast shutdown: sessions are cut off
        try:
            returned = buyer.get(back)
            home = buyer.get("/")
            basket = buyer.get("/basket")
        finally:
            stack.start_postgres()
    finally:
        requests.post(f"{stack.standin}/_standin/release", timeout=REQUEST_SECONDS)

    assert returned.status_code == 503 and returned.headers["Retry-After"].isdigit()
    assert "your payment is safe" in returned.text
    assert "has been saved" not in returned.text
    for page in (home, basket):
        assert page.status_code in (200, 503), page.status_code
        if page.status_code == 503:
            assert page.headers["Retry-After"].isdigit()
            assert "Nothing you sent on this page has been saved" in page.text

    # Back: the same return address confirms the payment.
    wait_for(lambda: buyer.get("/").status_code == 200, "the portal to serve again", seconds=60)
    again = buyer.get(back)
    assert again.status_code == 200
    wait_until_paid(stack, reference_in(again.text))


def test_after_the_outage_journeys_work_as_before(stack):
    _buyer, reference, _back = place_and_pay(stack)
    wait_until_paid(stack, reference)
