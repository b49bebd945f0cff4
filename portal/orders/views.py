"""An order's page, for its owner, the browser that placed it, or the link in its emails."""

from io import BytesIO

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user

from portal import pricing
from portal.documents import services as documents
from portal.downloads import services as downloads
from portal.email import send_email
from portal.extensions import db
from portal.operations.limits import (
    SEND_ORDER_LINK,
    TOO_MANY_EMAILS,
    emails_typed_address,
    post_limit,
    withheld,
)
from portal.orders import thanks
from portal.orders.access import find_order, may_view, order_link, placed_here, token_state
from portal.orders.models import OrderState
from portal.payments import cancellation, finance_contacts, owed, refund_failures
from portal.payments import services as payments

bp = Blueprint("orders", __name__)


class LinkExpired(Exception):
    def __init__(self, order, token):
        self.order, self.token = order, token


def _viewable_order(reference: str):
    order = find_order(reference)
    token = request.args.get("token")
    if order is None:
        abort(404)
    if not may_view(order, current_user, placed_here(session), token):
        if token_state(order, token) == "expired":
            raise LinkExpired(order, token)
        abort(404)  # someone else's order looks exactly like one that does not exist
    return order, token


@bp.errorhandler(LinkExpired)
def _link_expired(expired: LinkExpired):
    return render_template(
        "orders/link_expired.html", order=expired.order, token=expired.token
    ), 410


@bp.route("/orders/<reference>/send-link", methods=["POST"])
@post_limit(SEND_ORDER_LINK)
@emails_typed_address
def send_link(reference: str):
    """Email a fresh link to the order's own address (never to anyone else), for whoever can see
    the order or holds an expired link to it."""
    order = find_order(reference)
    token = request.form.get("token")
    placed = placed_here(session)
    if order is None or not (
        may_view(order, current_user, placed, token) or token_state(order, token) == "expired"
    ):
        abort(404)
    send_email(
        "order_link",
        order.email,
        order=order,
        link=order_link(order),
        days=current_app.config["DOWNLOAD_LINK_MAX_AGE"] // 86400,
    )
    db.session.commit()
    not_sent = bool(withheld())
    if not_sent:
        flash(TOO_MANY_EMAILS.format(address=order.email), "info")
    else:
        flash(f"We have emailed a new link to {order.email}.", "success")
    if may_view(order, current_user, placed, None):
        return redirect(url_for("orders.show", reference=reference))
    return render_template("orders/link_sent.html", order=order, not_sent=not_sent)


@bp.route("/orders/<reference>")
def show(reference: str):
    # A finance contact's link proves someone there reads our emails: its held ones can go.
    if finance_contacts.confirm(request.args.get("contact")):
        db.session.commit()
    order, token = _viewable_order(reference)
    failed_refunds = refund_failures.failed_after_made(order)
    return render_template(
        "orders/order.html",
        order=order,
        token=token,
        thanks=thanks.thanks_on(order),
        payable=order.state is OrderState.PENDING_PAYMENT,
        cancellable=cancellation.may_cancel_as_buyer(order),
        payments=payments.card_payments(order),
        standing=owed.standing_of(order),
        failed_refunds=failed_refunds,
        repaid_by_card=refund_failures.card_refunds_repaying(order) if failed_refunds else {},
        credit=pricing.CreditTerms(order.credit_terms) if order.credit_terms else None,
        documents=documents.documents_for(order),
        copies=documents.copies_for(order),
        downloads_left={
            line.id: max(downloads.limit_of(line) - downloads.downloads_used(line), 0)
            for line in order.lines
            if downloads.may_download(line, current_user, placed_here(session), token)
        },
    )


@bp.route("/orders/<reference>/documents/<number>.pdf")
def document(reference: str, number: str):
    """An order's VAT invoice, receipt or credit note, as issued, or a marked copy of one."""
    order, _ = _viewable_order(reference)
    issued = documents.find_document(order, number) or documents.find_copy(order, number)
    if issued is None:
        abort(404)
    return send_file(
        BytesIO(issued.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=issued.filename,
        max_age=0,
    )
