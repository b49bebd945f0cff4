"""The outbox page, ``/admin/emails``: what was sent, what is waiting, what is stuck."""

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.email import services
from portal.email.models import OutboxStatus
from portal.extensions import db

STATUS_LABELS = {
    OutboxStatus.QUEUED: "Queued",
    OutboxStatus.SENDING: "Sending",
    OutboxStatus.SENT: "Sent",
    OutboxStatus.GIVEN_UP: "Given up",
    OutboxStatus.HELD: "Held",
}


@bp.route("/emails")
def emails():
    try:
        status = OutboxStatus(request.args.get("status", ""))
    except ValueError:
        status = None  # no filter, or one we do not know: show every email
    # Anything that is not a whole number is page 1; the service keeps the rest in range.
    page = request.args.get("page", 1, type=int)
    return render_template(
        "admin/emails/list.html",
        listing=services.recent_emails(status, page),
        stuck=services.stuck_count(),
        status=status,
        status_labels=STATUS_LABELS,
    )


@bp.route("/emails/<int:email_id>/send", methods=["POST"])
def send_held_email(email_id: int):
    """Send a held email now (an administrator who knows the address is right)."""
    try:
        services.send_held_email(email_id, current_user)
    except services.NotHeld:
        db.session.rollback()
        flash("That email is not held: nothing was sent.", "error")
    else:
        db.session.commit()
        flash("The held email is queued to be sent now.", "success")
    return redirect(url_for("admin.emails", status=OutboxStatus.HELD.value))
