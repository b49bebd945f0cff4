"""An order's page, for its owner, the browser that placed it, or the link in its emails."""

from flask import Blueprint, abort, render_template, request, session
from flask_login import current_user

from portal.downloads import services as downloads
from portal.orders.access import find_order, may_view
from portal.orders.models import OrderState
from portal.payments import services as payments

bp = Blueprint("orders", __name__)


@bp.route("/orders/<reference>")
def show(reference: str):
    order = find_order(reference)
    token = request.args.get("token")
    if order is None or not may_view(order, current_user, session.get("placed_orders", []), token):
        abort(404)  # someone else's order looks exactly like one that does not exist
    return render_template(
        "orders/order.html",
        order=order,
        token=token,
        payable=order.state is OrderState.PENDING_PAYMENT,
        payments=payments.card_payments(order),
        downloadable={
            line.id
            for line in order.lines
            if downloads.may_download(line, current_user, session.get("placed_orders", []), token)
        },
    )
