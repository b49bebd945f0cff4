"""One-click subscriber downloads, and the download of a PDF an order line holds."""

import logging

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from portal.catalogue import services as catalogue
from portal.catalogue.models import FormatKind
from portal.checkout import services as checkout
from portal.clock import today_in_london
from portal.downloads import services
from portal.extensions import db, login_manager
from portal.orders import services as orders
from portal.orders.access import placed_here, token_state
from portal.organisations.services import person_for
from portal.storage import get_storage

bp = Blueprint("downloads", __name__)
log = logging.getLogger(__name__)


@bp.route("/reports/<slug>/download", methods=["POST"])
@login_required
def take_free_pdf(slug: str):
    """A subscriber's one-click download: record the free order, then start the download."""
    report = catalogue.published_report(slug)
    pdf = next((f for f in report.formats if f.kind is FormatKind.PDF), None) if report else None
    if pdf is None:
        abort(404)
    today = today_in_london()
    try:
        line = checkout.take_free_pdf(current_user, pdf, person_for(current_user, today), today)
    except orders.NotEntitled:
        db.session.rollback()
        flash("This report is not free for you. You can order it below.", "info")
        return redirect(url_for("catalogue.report_detail", slug=slug))
    except orders.NotForSale:
        db.session.rollback()  # withdrawn since this process's copy of the catalogue was read
        abort(404)
    db.session.commit()
    return redirect(url_for("downloads.download_line", line_id=line.id))


@bp.route("/downloads/<int:line_id>")
def download_line(line_id: int):
    """A personalised copy of the PDF an order line holds, for those entitled to it."""
    line = orders.line_for_download(line_id)
    token = request.args.get("token")
    if line is None:
        log.info("download of unknown line %s refused", line_id)
        abort(404)
    granted = services.access(line, current_user, placed_here(session), token)
    if granted.via is None:
        if not current_user.is_authenticated and not token:
            return login_manager.unauthorized()
        if token and token_state(line.order, token) == "expired":
            return render_template("orders/link_expired.html", order=line.order, token=token), 410
        # Someone else's line looks exactly like one that does not exist.
        log.warning("download of line %s refused: not the asker's", line_id)
        abort(404)
    if not granted.allowed:
        log.info("download of line %s refused: %s", line_id, line.order.state)
        return render_template("downloads/unavailable.html", line=line, message=granted.reason), 410
    if services.used_up(line, granted.via):
        return _limit_reached(line)
    try:
        key = services.personalised_copy(line)
    except services.FileUnavailable:
        db.session.rollback()
        return render_template("downloads/not_ready.html", line=line), 404
    response = get_storage().send(
        key,
        download_name=services.download_name(line),
        mimetype="application/pdf",
        offload=services.offload_mode(),
    )
    asker = services.asker_for(
        granted.via, current_user, request.remote_addr, request.user_agent.string
    )
    if not services.admit_response(line, asker, response):
        db.session.commit()  # nothing was recorded; a copy stamped just now is kept
        return _limit_reached(line)
    db.session.commit()
    return response


def _limit_reached(line):
    log.info("download of line %s refused: limit reached", line.id)
    return render_template(
        "downloads/limit_reached.html", line=line, limit=services.limit_of(line)
    ), 403
