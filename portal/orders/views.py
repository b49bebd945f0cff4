"""An order's page, for its owner, the browser that placed it, or the link in its emails."""

from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file, session
from flask_login import current_user

from portal.documents import services as documents
from portal.downloads import services as downloads
from portal.orders.access import find_order, may_view
from portal.orders.models import OrderState
from portal.payments import services as payments

bp = Blueprint("orders", __name__)


def _viewable_order(reference: str):
    order = find_order(reference)
    token = request.args.get("token")
    if order is None or not may_view(order, current_user, session.get("placed_orders", []), token):
        abort(404)  # someone else's order looks exactly like one that does not exist
    return order, token


@bp.route("/orders/<reference>")
def show(reference: str):
    order, token = _viewable_order(reference)
    return render_template(
        "orders/order.html",
        order=order,
        token=token,
        payable=order.state is OrderState.PENDING_PAYMENT,
        payments=payments.card_payments(order),
        documents=documents.documents_for(order),
        downloadable={
            line.id
            for line in order.lines
            if downloads.may_download(line, current_user, session.get("placed_orders", []), token)
        },
    )


@bp.route("/orders/<reference>/documents/<number>.pdf")
def document(reference: str, number: str):
    """An order's VAT invoice, receipt or credit note, as issued."""
    order, _ = _viewable_order(reference)
    issued = documents.find_document(order, number)
    if issued is None:
        abort(404)
    return send_file(
        BytesIO(issued.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=issued.filename,
        max_age=0,
    )
