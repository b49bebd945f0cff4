"""The page a buyer sees when Stripe's payment page cannot be opened in time: the order is
saved, nothing was charged, and it can be paid from here or later.

The page carries the order's signed link (the one its confirmation email has), so the order
stays reachable from this browser even if the session that placed it is lost.
"""

from flask import render_template

from portal.operations.outages import RETRY_AFTER_SECONDS
from portal.orders.access import order_token
from portal.orders.models import Order


def saved_order_page(order: Order):
    """The "order saved, you have not been charged, try again" page: 503, with Retry-After."""
    body = render_template("payments/unavailable.html", order=order, token=order_token(order))
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
