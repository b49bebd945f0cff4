"""Money arriving: the one way an order becomes paid, whether by card, by a bank transfer
against its invoice, or by costing nothing.

Services flush; the caller commits once.
"""

from datetime import date

from portal.downloads import jobs as download_jobs
from portal.extensions import db
from portal.orders import standing, states
from portal.orders.models import Order, OrderState
from portal.payments.receipts import send_receipt


def settle(order: Order, how: str, by: int | None, today: date, *, receipt: bool = True) -> None:
    """Record that ``order`` is paid, ``how`` saying by what (the history entry's note).

    The order is marked paid (an order that cost nothing was placed paid already), complete at
    once when it has no printed copies to post (none, or all posted while it was released on
    credit), its PDF copies are stamped after the commit, and
    the receipt dated ``today`` is issued and emailed. ``receipt=False`` records without one (a
    subscriber's one-click free PDF).
    """
    if order.state is not OrderState.PAID:
        states.mark_paid(order, by, how)
    if not order.has_printed_copies:
        states.mark_fulfilled(order, by, "PDF available to download")
    elif not standing.to_post(order):
        states.mark_fulfilled(order, by, "Printed copies were posted before payment")
    download_jobs.stamp_copies_after_commit(order)
    if receipt:
        send_receipt(order, today)
    db.session.flush()
