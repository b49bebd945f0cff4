"""Administration of Insight renewals: the requests to join, renew or ask (worked through from
new to won or lost), the subscriptions ending or ended with their CSV export, and each
organisation's subscription contacts."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal import audit
from portal.admin import subscribers
from portal.admin.blueprint import bp
from portal.admin.params import page_number
from portal.clock import today_in_london
from portal.extensions import db
from portal.insight import renewals as renewal_list
from portal.insight import requests as insight_requests
from portal.insight.forms import RequestStepForm
from portal.insight.models import RequestState
from portal.organisations import contacts
from portal.organisations.admin_services import SubscriberRuleBroken
from portal.organisations.contact_forms import ContactForm
from portal.organisations.models import SubscriptionContact

# Requests


@bp.route("/insight-requests")
def insight_requests_list():
    chosen = request.args.get("state", "")
    state = RequestState(chosen) if chosen in {s.value for s in RequestState} else None
    found = insight_requests.find_requests(state, page_number())
    return render_template(
        "admin/insight/requests.html", found=found, state=state, states=list(RequestState)
    )


def _request_page(insight_request, form=None, status: int = 200):
    form = form or RequestStepForm(formdata=None)
    form.offer_states(sorted(insight_requests.ALLOWED[insight_request.state]))
    return render_template(
        "admin/insight/request.html", insight_request=insight_request, form=form
    ), status


@bp.route("/insight-requests/<int:request_id>", methods=["GET", "POST"])
def insight_request(request_id: int):
    found = insight_requests.request_with_history(request_id) or abort(404)
    if request.method == "GET":
        return _request_page(found)
    form = RequestStepForm()
    form.offer_states(sorted(insight_requests.ALLOWED[found.state]))
    if not form.validate():
        return _request_page(found, form, 400)
    try:
        insight_requests.take_step(found, form.chosen_state, form.note.data or "", current_user)
    except insight_requests.StepRefused as refused:
        db.session.rollback()
        form.state.errors.append(str(refused))
        return _request_page(insight_requests.request_with_history(request_id), form, 409)
    db.session.commit()
    flash(f"Recorded: the request is {found.state.label.lower()}.", "success")
    return redirect(url_for("admin.insight_request", request_id=request_id))


# Subscriptions ending or ended


@bp.route("/renewals")
def renewals():
    today = today_in_london()
    return render_template(
        "admin/insight/renewals.html",
        renewals=renewal_list.renewals(today),
        today=today,
        window=renewal_list.WINDOW_DAYS,
    )


@bp.route("/renewals.csv")
def export_renewals():
    today = today_in_london()
    filename = f"insight-renewals-{today.isoformat()}.csv"
    found = renewal_list.renewals(today)  # small: the periods of six months
    audit.record_export(current_user, "renewals", len(found))
    db.session.commit()
    return Response(
        "".join(renewal_list.renewals_csv(found)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# Subscription contacts (on the organisation's page)


@bp.route("/organisations/<int:organisation_id>/contacts", methods=["POST"])
def add_contact(organisation_id: int):
    organisation = subscribers._organisation(organisation_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return subscribers._organisation_page(organisation, failed=form), 400
    try:
        contact = contacts.add_contact(
            current_user,
            organisation,
            form.contact_name.data,
            form.contact_email.data,
            form.contact_role.data or "",
        )
    except SubscriberRuleBroken as broken:
        return subscribers._refused(organisation, form, broken), 409
    return subscribers._done(organisation, f"Added {contact.name} as a subscription contact.")


@bp.route("/organisations/<int:organisation_id>/contacts/<int:contact_id>/remove", methods=["POST"])
def remove_contact(organisation_id: int, contact_id: int):
    organisation = subscribers._organisation(organisation_id)
    contact = subscribers._part(SubscriptionContact, contact_id, organisation)
    name = contact.name
    contacts.remove_contact(current_user, contact)
    return subscribers._done(organisation, f"Removed {name} from the subscription contacts.")
