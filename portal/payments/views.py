"""Stripe's webhook, the pages Stripe sends people back to, and paying (again) for an order."""

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from portal.clock import today_in_london
from portal.extensions import csrf, db
from portal.jobs import register_sweep
from portal.operations.limits import PAY, post_limit
from portal.operations.security import body_limit
from portal.orders import thanks
from portal.orders.access import find_order, may_view, placed_here, remember_placed
from portal.payments import cancellation, gateway, services, webhook_queue
from portal.payments.saved_order import saved_order_page

bp = Blueprint("payments", __name__)
# Events whose job was lost (with Redis) or failed every try are asked for again by the worker.
bp.record_once(
    lambda state: register_sweep(state.app, "stripe events", webhook_queue.sweep_unhandled_events)
)
log = logging.getLogger(__name__)


#: Stripe's events are a few kilobytes; nothing larger is read.
WEBHOOK_MAX_BYTES = 1024 * 1024


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt
@body_limit(WEBHOOK_MAX_BYTES)
def webhook():
    """Stripe's events, acknowledged at once. 413 for a body over 1 MB (unread); 400 for a bad
    signature, a timestamp too old or in the future, or a signed body that is not an event; 200
    once the event is recorded and handed to the job queue (``webhook_queue``), repeated or
    not ours alike; 5xx only for a passing fault (the database, or, without a queue, handling
    it here failed), so that Stripe delivers the event again."""
    payload = request.get_data()
    try:
        event = gateway.verified_event(payload, request.headers.get("Stripe-Signature"))
        text = payload.decode()  # Stripe sends UTF-8; a signed body in another is not an event
    except (ValueError, gateway.SignatureVerificationError):
        return {"error": "invalid signature"}, 400
    try:
        received = webhook_queue.record(event, text)
        db.session.commit()
        taken = webhook_queue.hand_over(received)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("database error recording Stripe event %s", event.id)
        return {"error": "try again"}, 503, {"Retry-After": "30"}
    if not taken:
        return {"error": "try again"}, 503, {"Retry-After": "30"}
    return {"status": "duplicate" if received.repeat else "ok"}, 200


@bp.route("/checkout/success")
def success():
    """Where Stripe sends the person after paying. It asks Stripe itself; arriving here proves
    nothing."""
    session_id = request.args.get("session_id", "")
    if not session_id.startswith("cs_") or len(session_id) > 255:
        abort(404)
    try:
        order = services.confirm_checkout_session(session_id)
    except gateway.StripeError:
        db.session.rollback()
        # Stripe cannot be asked now: the payment page was ours, so its order is known here.
        order = services.order_of_session(session_id)
        flash(
            "We could not confirm your payment with our card processor yet. "
            "Your order page will show it as soon as it arrives.",
            "info",
        )
    if order is None:
        abort(404)
    db.session.commit()
    thanks.thank_for_card_payment(order)
    # Only the person Stripe sent back knows the session's id: their browser may see the order
    # even if it lost (or never received) the session that placed it.
    remember_placed(session, order.id)
    return redirect(url_for("orders.show", reference=order.reference))


@bp.route("/orders/<reference>/payment-cancelled")
def cancelled(reference: str):
    flash("You have not paid yet. Your order is kept: pay when you are ready.", "info")
    # The order's signed link comes back with the buyer, for a browser without the session.
    token = request.args.get("token")
    token = token if token and len(token) <= 200 else None
    return redirect(url_for("orders.show", reference=reference, token=token))


@bp.route("/orders/<reference>/pay", methods=["POST"])
@post_limit(PAY)
def pay(reference: str):
    order = find_order(reference)
    placed = placed_here(session)
    if order is None or not may_view(order, current_user, placed, request.form.get("token")):
        abort(404)
    try:
        stripe_page = services.start_checkout(order)
    except services.TooManyAttempts:
        flash(
            "This order cannot open another payment page. If it is not paid within "
            f"{services.CHECKOUT_LIFETIME.seconds // 60} minutes of the last one, it is "
            "cancelled: then place a new order.",
            "info",
        )
        return redirect(url_for("orders.show", reference=reference))
    except services.OutsideCardLimits as outside:
        flash(str(outside), "info")
        return redirect(url_for("orders.show", reference=reference))
    except services.NotPayable:
        flash("This order is not waiting for a card payment.", "info")
        return redirect(url_for("orders.show", reference=reference))
    except services.PaymentUnavailable:
        db.session.commit()  # the attempt and its key, to ask again with
        return saved_order_page(order)
    db.session.commit()
    return redirect(stripe_page or url_for("orders.show", reference=reference), 303)


def _order_for_buyer(reference: str, token: str | None):
    order = find_order(reference)
    if order is None or not may_view(order, current_user, placed_here(session), token):
        abort(404)  # someone else's order looks exactly like one that does not exist
    return order


@bp.route("/orders/<reference>/cancel", methods=["GET", "POST"])
def cancel_order(reference: str):
    """The buyer cancels their unpaid order: a page asking them to confirm (GET), then the
    cancellation (POST). Refused, with the reason, once anything is paid, downloaded or posted.
    """
    token = request.form.get("token") if request.method == "POST" else request.args.get("token")
    order = _order_for_buyer(reference, token)
    order_page = url_for("orders.show", reference=reference, token=token or None)
    if request.method == "GET":
        return render_template(
            "payments/cancel.html",
            order=order,
            token=token,
            refused=cancellation.buyer_refusal(order),
            order_page=order_page,
        )
    by = current_user if current_user.is_authenticated else None
    try:
        credit_note = cancellation.cancel_by_buyer(order, by, today_in_london())
    except cancellation.CancelRefused as refused:
        db.session.rollback()
        flash(refused.message, "error")
        return redirect(order_page, 303)
    db.session.commit()
    message = f"Order {reference} is cancelled."
    if credit_note is not None:
        message += f" We have emailed credit note {credit_note.number}, which cancels its invoice."
    flash(message, "success")
    return redirect(order_page, 303)
