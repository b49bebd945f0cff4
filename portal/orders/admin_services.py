"""What administrators do to orders, and which of those the order's state allows.

Every action checks the order's state first and raises ActionRefused before changing anything;
each one that changes something writes an audit entry in the same transaction. Services flush;
the view commits once.
"""

from datetime import UTC, date, datetime, time

from portal import audit
from portal.accounts.models import User
from portal.catalogue.models import FormatKind
from portal.clock import LONDON, today_in_london, utcnow
from portal.downloads import services as downloads
from portal.email import send_email
from portal.extensions import db
from portal.orders import approval, services, states
from portal.orders.access import order_link
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.payments import cancellation, invoices


class ActionRefused(Exception):
    """The action does not make sense in the order's current state; nothing was changed."""


# ---------------------------------------------------------------------------------------------
# Which actions make sense now


def undispatched_print_lines(order: Order) -> list[OrderLine]:
    return [
        line
        for line in order.lines
        if line.format_kind == FormatKind.PRINT
        and line.dispatched_at is None
        and line.refunded_at is None
    ]


def may_approve(order: Order) -> bool:
    return approval.is_waiting(order)


def may_dispatch(order: Order) -> bool:
    return order.state is OrderState.PAID and bool(undispatched_print_lines(order))


def may_cancel(order: Order) -> bool:
    """Before payment, or paid with nothing posted yet (a completed order stays as it is)."""
    return cancellation.refusal(order) is None


def may_resend_email(order: Order) -> bool:
    return order.state is not OrderState.CANCELLED


# ---------------------------------------------------------------------------------------------
# Actions


def _state(order: Order) -> dict:
    return audit.snapshot(order, "state")


def approve_order(order: Order, by: User, today: date) -> None:
    """Approve an invoice order that waits for approval: take its printed copies out of stock,
    issue its VAT invoice and email it (see ``approval.approve``). Refused, changing nothing,
    when the order is not waiting or there are not enough copies (the view rolls back)."""
    states.lock_order(order)
    if not may_approve(order):
        raise ActionRefused("Only an order waiting for approval can be approved.")
    before = _state(order)
    try:
        approval.approve(order, by.id)
    except services.OutOfStock as out:
        raise ActionRefused(
            f"Not enough printed copies of “{out.report_format.report.title}” are in stock to "
            "approve this order. Add stock in the catalogue, or cancel the order."
        ) from out
    invoices.issue_invoice_for(order, today)
    db.session.flush()
    audit.record(by, "order.approve", "order", order.reference, before=before, after=_state(order))


def _dispatch_moment(dispatched_on: date) -> datetime:
    """Now, when posted today; otherwise midday London time on the day given."""
    if dispatched_on == today_in_london():
        return utcnow()
    return datetime.combine(dispatched_on, time(12), LONDON).astimezone(UTC)


def mark_dispatched(order: Order, dispatched_on: date, note: str, by: User) -> None:
    """Record that every printed line not yet posted was posted on ``dispatched_on`` (with a note
    or tracking number), complete the order (its PDFs are already available) and email the buyer.

    Refused for an order that is not paid, or has nothing left to post.
    """
    states.lock_order(order)
    if order.state is not OrderState.PAID:
        raise ActionRefused("Only a paid order can be dispatched.")
    lines = undispatched_print_lines(order)
    if not lines:
        raise ActionRefused("This order has no printed copies waiting to be dispatched.")
    before = _state(order)
    when = _dispatch_moment(dispatched_on)
    for line in lines:
        line.dispatched_at = when
        line.dispatch_note = note
    states.mark_fulfilled(order, by.id, f"Printed copies dispatched. {note}".strip())
    send_email("dispatched", order.email, order=order, link=order_link(order))
    db.session.flush()
    audit.record(
        by,
        "order.mark_dispatched",
        "order",
        order.reference,
        before=before,
        after={
            **_state(order),
            "dispatched_on": dispatched_on,
            "lines": [line.id for line in lines],
        },
        note=note,
    )


def cancel_order(order: Order, note: str, by: User, today: date) -> None:
    """Cancel the order, put its printed copies back in stock and credit its invoice in full
    (see ``may_cancel`` and ``payments.cancellation.cancel_order``)."""
    states.lock_order(order)
    if not may_cancel(order):
        raise ActionRefused(
            "This order cannot be cancelled: it is already cancelled, complete or dispatched."
        )
    before = _state(order)
    try:
        credit_note = cancellation.cancel_order(order, by.id, note, today)
    except cancellation.CancelRefused as refused:
        raise ActionRefused(refused.message) from refused
    after = _state(order)
    if credit_note is not None:
        after["credit_note"] = credit_note.number
    audit.record(
        by, "order.cancel", "order", order.reference, before=before, after=after, note=note
    )


def resend_email(order: Order, by: User, today: date) -> str:
    """Send again the invoice (invoice orders) or the order confirmation (others); returns the
    name of the email sent. The invoice is never issued twice: issuing returns the one there is.
    """
    if not may_resend_email(order):
        raise ActionRefused("Emails are not sent again for a cancelled order.")
    if order.payment_method is PaymentMethod.INVOICE and not approval.is_waiting(order):
        invoices.issue_invoice_for(order, today)  # an order waiting for approval has none yet
        name = "invoice"
    else:
        send_email("order_confirmation", order.email, order=order, link=order_link(order))
        name = "order_confirmation"
    db.session.flush()
    audit.record(by, "order.resend_email", "order", order.reference, after={"email": name})
    return name


def reset_download_count(order: Order, line_id: int, by: User) -> OrderLine:
    """Start counting a PDF line's downloads afresh."""
    line = next((x for x in order.lines if x.id == line_id), None)
    if line is None or line.format_kind != FormatKind.PDF:
        raise ActionRefused("Only a PDF line of this order has a download count to reset.")
    before = audit.snapshot(line, "downloads_counted_from")
    downloads.reset_count(line)
    audit.record(
        by,
        "order.reset_downloads",
        "order",
        order.reference,
        before={"line": line.id, **before},
        after={"line": line.id, **audit.snapshot(line, "downloads_counted_from")},
    )
    return line


def clear_attention(order: Order, note: str, by: User) -> None:
    """Clear the flag that said the order needed an administrator, saying what was done."""
    states.lock_order(order)
    if not order.attention:
        raise ActionRefused("This order is not flagged for attention.")
    before = audit.snapshot(order, "attention")
    order.attention = ""
    states.add_note(order, by.id, f"Attention cleared: {note}")
    db.session.flush()
    audit.record(
        by,
        "order.clear_attention",
        "order",
        order.reference,
        before=before,
        after={"attention": ""},
        note=note,
    )
