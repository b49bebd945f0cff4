"""The public catalogue: the list of reports and one report's page."""

from flask import Blueprint, abort, render_template
from flask_login import current_user

from portal import pricing
from portal.catalogue import services
from portal.catalogue.models import FormatKind
from portal.clock import today_in_london
from portal.orders import services as orders
from portal.organisations.services import person_for

bp = Blueprint("catalogue", __name__)


@bp.route("/reports")
def report_list():
    return render_template("catalogue/report_list.html", reports=services.published_reports())


@bp.route("/reports/<slug>")
def report_detail(slug: str):
    report = services.published_report(slug)
    if report is None:
        abort(404)
    today = today_in_london()
    person = person_for(current_user, today)
    pdf = next((f for f in report.formats if f.kind is FormatKind.PDF), None)
    return render_template(
        "catalogue/report_detail.html",
        report=report,
        person=person,
        quotes=orders.quotes_for(person, report.formats, today),
        why_not_subscriber=pricing.subscription_reason(person, today),
        one_click_pdf=pdf if pdf and pricing.may_take_free_pdf(person, pdf, today) else None,
    )
