"""The public "What Insight is" page with its request form, and the page after sending one."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import today_in_london
from portal.extensions import db
from portal.form_fields import new_request_key
from portal.insight import requests as insight_requests
from portal.insight.forms import InsightRequestForm
from portal.insight.models import RequestTopic
from portal.operations.limits import INSIGHT_REQUEST, post_limit
from portal.organisations.services import person_for

bp = Blueprint("insight", __name__)

_NAME_LENGTH = 200


@bp.route("/insight", methods=["GET", "POST"])
@post_limit(INSIGHT_REQUEST)
def about():
    form = InsightRequestForm()
    if form.validate_on_submit():
        insight_requests.submit_request(
            insight_requests.RequestDetails(
                topic=RequestTopic(form.topic.data),
                name=form.name.data,
                organisation_name=form.organisation.data,
                email=form.email.data,
                role=form.role.data or "",
                message=form.message.data or "",
            ),
            form.request_key.data,
            current_user,
        )
        db.session.commit()
        return redirect(url_for("insight.request_sent"))
    if not form.is_submitted():
        _fill_in(form)
    elif form.request_key.errors:
        form.request_key.data = new_request_key()
    return render_template("insight/about.html", form=form), 400 if form.errors else 200


def _fill_in(form: InsightRequestForm) -> None:
    """A new form: what the link asked for (``?topic=renew&organisation=…``), and what the portal
    knows of whoever is signed in."""
    form.request_key.data = new_request_key()
    topic = request.args.get("topic", "")
    if topic in {t.value for t in RequestTopic}:
        form.topic.data = topic
    organisation = " ".join(request.args.get("organisation", "").split())[:_NAME_LENGTH]
    if current_user.is_authenticated:
        form.name.data = current_user.name
        form.email.data = current_user.email
        membership = person_for(current_user, today_in_london()).membership
        organisation = organisation or (
            membership.organisation_name if membership else current_user.organisation_name or ""
        )
    form.organisation.data = organisation


@bp.route("/insight/request-sent")
def request_sent():
    return render_template("insight/request_sent.html")
