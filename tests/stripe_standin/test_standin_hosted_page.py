"""The hosted payment page: plain HTML forms for Pay, Card declined and Cancel."""

import re

import pytest
import stripe

from tests.stripe_standin.helpers import CANCEL_URL


@pytest.fixture
def browser(standin):
    """A browser without JavaScript: the stand-in's own test client (redirects not followed)."""
    return standin.app.test_client()


def page_path(session) -> str:
    return f"/pay/{session.id}"


def buttons(html: str) -> list[str]:
    return re.findall(r"<button[^>]*>([^<]+)</button>", html)


def test_the_page_shows_what_is_being_paid_for(browser, create_session):
    session = create_session()
    response = browser.get(page_path(session))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Pay £220.00</h1>" in html
    assert "<caption>What you are paying for</caption>" in html
    assert '<th scope="col">Item</th>' in html
    assert "Modern public services: challenge (PDF)" in html
    assert re.search(r"Transformation in practice \(printed\)</td><td[^>]*>3</td>", html)
    assert "£25.00" in html
    assert "£75.00" in html
    assert buttons(html) == ["Pay", "Card declined", "Cancel"]
    assert "<script" not in html  # works without JavaScript
    for field_id in re.findall(r'<input id="([^"]+)"', html):
        assert f'<label for="{field_id}">' in html


def test_text_on_the_page_is_escaped(browser, create_session, session_params):
    items = session_params()["line_items"]
    items[0]["price_data"]["product_data"]["name"] = "<b>Bold</b> & co"
    html = browser.get(page_path(create_session(line_items=items))).get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in html


def test_paying_completes_the_session_and_redirects_to_success_url(
    browser, stripe_client, create_session, receiver
):
    session = create_session()
    response = browser.post(f"{page_path(session)}/pay", data={"name": "Sam Taylor"})

    assert response.status_code == 303
    assert response.location == (f"http://127.0.0.1:5000/orders/paid?session_id={session.id}")
    # The webhook was delivered before the browser was sent back, and its signature verifies.
    [event] = receiver.events()
    assert event.type == "checkout.session.completed"
    assert event.data.object.id == session.id
    assert event.data.object.payment_status == "paid"

    paid = stripe_client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent"]})
    assert (paid.status, paid.payment_status, paid.url) == ("complete", "paid", None)
    assert paid.customer_details.email == "officer@leeds.gov.uk"
    assert paid.customer_details.name == "Sam Taylor"
    intent = paid.payment_intent
    assert intent.id.startswith("pi_")
    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 22000, 22000)
    assert intent.currency == "gbp"
    assert intent.latest_charge.startswith("ch_")


def test_a_webhook_handler_may_call_the_api_back(standin, browser, create_session, receiver):
    seen = []

    def reread_session(delivery):
        client = stripe.StripeClient(
            standin.secret_key,
            base_addresses={"api": standin.url},
            http_client=(http := stripe.RequestsClient(timeout=10)),
        )
        try:
            session_id = delivery.event().data.object.id
            seen.append(client.v1.checkout.sessions.retrieve(session_id).payment_status)
        finally:
            http.close()

    receiver.on_delivery = reread_session
    session = create_session()
    assert browser.post(f"{page_path(session)}/pay").status_code == 303
    assert seen == ["paid"]


def test_a_declined_card_keeps_the_session_open(browser, stripe_client, create_session,
                                                receiver):  # fmt: skip
    session = create_session()
    response = browser.post(f"{page_path(session)}/decline")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "Your card was declined" in html
    assert buttons(html) == ["Pay", "Card declined", "Cancel"]
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert receiver.deliveries == []
    # …and the customer can still pay.
    assert browser.post(f"{page_path(session)}/pay").status_code == 303


def test_cancel_goes_back_and_leaves_the_session_open(browser, stripe_client, create_session,
                                                      receiver):  # fmt: skip
    session = create_session()
    response = browser.post(f"{page_path(session)}/cancel")
    assert response.status_code == 303
    assert response.location == CANCEL_URL
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"
    assert receiver.deliveries == []


def test_a_completed_session_cannot_be_paid_twice(standin, browser, create_session, receiver):
    session = create_session()
    standin.pay(session.id)
    html = browser.get(page_path(session)).get_data(as_text=True)
    assert "<h1>Payment complete</h1>" in html
    assert buttons(html) == []
    assert f"session_id={session.id}" in html  # a way back to the site
    assert browser.post(f"{page_path(session)}/pay").status_code == 409
    assert browser.post(f"{page_path(session)}/decline").status_code == 409
    assert receiver.types() == ["checkout.session.completed"]


def test_an_expired_session_says_so(standin, browser, create_session):
    session = create_session()
    standin.expire(session.id)
    response = browser.get(page_path(session))
    html = response.get_data(as_text=True)
    assert "<h1>This payment page has expired</h1>" in html
    assert buttons(html) == []
    assert browser.post(f"{page_path(session)}/pay").status_code == 409


def test_an_unknown_session_is_404(browser):
    response = browser.get("/pay/cs_test_unknown")
    assert response.status_code == 404
    assert "<h1>Payment not found</h1>" in response.get_data(as_text=True)


def test_without_cancel_url_there_is_no_cancel_button(browser, create_session):
    session = create_session(cancel_url=None)
    assert buttons(browser.get(page_path(session)).get_data(as_text=True)) == [
        "Pay",
        "Card declined",
    ]


def test_an_email_is_asked_for_when_the_session_has_none(browser, stripe_client,
                                                         create_session):  # fmt: skip
    session = create_session(customer_email=None)
    html = browser.get(page_path(session)).get_data(as_text=True)
    assert '<label for="email">Email address</label>' in html
    browser.post(f"{page_path(session)}/pay", data={"email": "buyer@example.org"})
    paid = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert paid.customer_details.email == "buyer@example.org"
