"""The outbox page, ``/admin/emails``: administrators only."""

from flask import Blueprint, render_template, request

from portal.admin.blueprint import administrator_gate
from portal.email_models import OutboxStatus
from portal.outbox import services

bp = Blueprint("outbox", __name__)

STATUS_LABELS = {
    OutboxStatus.QUEUED: "Queued",
    OutboxStatus.SENDING: "Sending",
    OutboxStatus.SENT: "Sent",
    OutboxStatus.GIVEN_UP: "Given up",
    OutboxStatus.HELD: "Held",
}


@bp.route("/admin/emails")
def list_emails():
    if (refused := administrator_gate()) is not None:
        return refused
    try:
        status = OutboxStatus(request.args.get("status", ""))
    except ValueError:
        status = None  # no filter, or one we do not know: show every email
    # Anything that is not a whole number is page 1; the service keeps the rest in range.
    page = request.args.get("page", 1, type=int)
    return render_template(
        "outbox/list.html",
        listing=services.recent_emails(status, page),
        stuck=services.stuck_count(),
        status=status,
        status_labels=STATUS_LABELS,
    )
