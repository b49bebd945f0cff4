"""When the payment page cannot be opened, the order is saved and reachable anywhere; the return
from Stripe opens the order whether or not the browser kept the session that placed it."""

import re
from urllib.parse import urlsplit

from portal.orders.models import OrderState

_SIGNED_LINK = re.compile(r'href="(/orders/[^"?]+\?token=[^"]+)"')


def _session_id(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def test_the_saved_order_page_opens_the_order_in_any_browser_and_offers_to_try_again(
    app, checkout, stored, monkeypatch
):
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    placed = checkout(printed=0)
    assert placed.status_code == 503
    page = placed.get_data(as_text=True)
    order = stored.order()
    assert f'action="/orders/{order.reference}/pay"' in page
    assert 'name="token" value="' in page

    link = _SIGNED_LINK.search(page).group(1).replace("&amp;", "&")
    elsewhere = app.test_client().get(link)  # a browser that never had the session
    assert elsewhere.status_code == 200
    assert order.reference in elsewhere.get_data(as_text=True)


def test_the_return_from_stripe_opens_the_order_in_a_browser_without_the_session(
    app, checkout, standin, stored
):
    session_id = _session_id(checkout(printed=0))
    standin.pay(session_id)
    browser = app.test_client()
    returned = browser.get(f"/checkout/success?session_id={session_id}", follow_redirects=True)
    assert returned.status_code == 200
    order = stored.order()
    assert order.state in (OrderState.PAID, OrderState.FULFILLED)
    assert order.reference in returned.get_data(as_text=True)


def test_the_return_while_stripe_cannot_be_asked_still_opens_the_order(
    app, checkout, standin, stored, monkeypatch
):
    session_id = _session_id(checkout(printed=0))
    standin.pay(session_id, deliver=False)
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")
    returned = app.test_client().get(
        f"/checkout/success?session_id={session_id}", follow_redirects=True
    )
    assert returned.status_code == 200
    page = returned.get_data(as_text=True)
    assert stored.order().reference in page
    assert "We could not confirm your payment with our card processor yet" in page


def test_leaving_stripe_without_paying_opens_the_order_in_a_browser_without_the_session(
    app, checkout, standin, stored
):
    session_id = _session_id(checkout(printed=0))
    cancel_url = standin.client().v1.checkout.sessions.retrieve(session_id).cancel_url
    parts = urlsplit(cancel_url)
    back = app.test_client().get(f"{parts.path}?{parts.query}", follow_redirects=True)
    assert back.status_code == 200
    assert stored.order().reference in back.get_data(as_text=True)
