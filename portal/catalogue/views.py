"""The public catalogue: the list of reports and one report's page."""

from flask import Blueprint, abort, render_template

from portal.catalogue import services

bp = Blueprint("catalogue", __name__)


@bp.route("/reports")
def report_list():
    return render_template("catalogue/report_list.html", reports=services.published_reports())


@bp.route("/reports/<slug>")
def report_detail(slug: str):
    report = services.published_report(slug)
    if report is None:
        abort(404)
    return render_template("catalogue/report_detail.html", report=report)
