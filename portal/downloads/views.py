"""One-click subscriber downloads, and the download of a PDF an order line holds."""

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required

from portal.catalogue import services as catalogue
from portal.catalogue.models import FormatKind
from portal.clock import today_in_london
from portal.downloads import services
from portal.extensions import db, login_manager
from portal.orders import services as orders
from portal.organisations.services import person_for

bp = Blueprint("downloads", __name__)


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
        line = orders.take_free_pdf(current_user, pdf, person_for(current_user, today), today)
    except orders.NotEntitled:
        db.session.rollback()
        flash("This report is not free for you. You can order it below.", "info")
        return redirect(url_for("catalogue.report_detail", slug=slug))
    db.session.commit()
    return redirect(url_for("downloads.download_line", line_id=line.id))


@bp.route("/downloads/<int:line_id>")
def download_line(line_id: int):
    line = orders.line_for_download(line_id)
    token = request.args.get("token")
    placed = session.get("placed_orders", [])
    # Someone else's line looks exactly like one that does not exist.
    if line is None or not services.may_download(line, current_user, placed, token):
        if line is None or current_user.is_authenticated or token:
            abort(404)
        return login_manager.unauthorized()
    stream = services.open_report_pdf(line)
    if stream is None:
        return render_template("downloads/not_ready.html", line=line), 503
    return send_file(
        stream,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"{line.report_format.report.slug}.pdf",
        max_age=0,
    )
