"""An organisation manager's pages: only its managers reach them; anyone else gets 404."""

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from portal.clock import today_in_london
from portal.documents.services import find_document
from portal.extensions import db
from portal.organisation_accounts import services
from portal.organisations import admin_services, managers
from portal.organisations.admin_forms import ManagerForm, MemberForm
from portal.organisations.models import NamedMember, Organisation, OrganisationManager
from portal.payments import refund_failures

bp = Blueprint("organisation_accounts", __name__)


def _managed(organisation_id: int) -> Organisation:
    return managers.manager_of(current_user, organisation_id) or abort(404)


def _part(model, part_id: int, organisation: Organisation):
    part = db.session.get(model, part_id)
    if part is None or part.organisation_id != organisation.id:
        abort(404)
    return part


def _page(organisation: Organisation, failed=None, status: int = 200):
    forms = {"member_form": MemberForm(formdata=None), "manager_form": ManagerForm(formdata=None)}
    for name, form in forms.items():
        if failed is not None and type(form) is type(failed):
            forms[name] = failed
    orders = services.organisation_orders(organisation)
    return render_template(
        "organisation_accounts/organisation.html",
        organisation=organisation,
        status=admin_services.subscription_status(organisation, today_in_london()),
        orders=orders,
        documents=services.documents_of(orders),
        refund_owed=refund_failures.orders_owed_a_refund([order.id for order in orders]),
        free_copies=services.free_copies_taken(organisation),
        people=admin_services.users_belonging_to(organisation),
        appointments=managers.managers_of(organisation),
        failed=failed,
        **forms,
    ), status


def _done(organisation: Organisation, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("organisation_accounts.organisation", organisation_id=organisation.id))


def _refused(organisation: Organisation, form, broken: admin_services.SubscriberRuleBroken):
    """The page again with the broken rule shown at its field (the services refuse before they
    write anything, so there is nothing to undo)."""
    field = getattr(form, broken.field)
    field.errors = [*field.errors, broken.message]
    return _page(organisation, failed=form, status=422)


@bp.route("/organisation/<int:organisation_id>")
@login_required
def organisation(organisation_id: int):
    return _page(_managed(organisation_id))


@bp.route("/organisation/<int:organisation_id>/orders/<reference>/documents/<number>.pdf")
@login_required
def order_document(organisation_id: int, reference: str, number: str):
    """An invoice, receipt or credit note of one of the organisation's orders, as issued."""
    organisation = _managed(organisation_id)
    order = services.organisation_order(organisation, reference) or abort(404)
    issued = find_document(order, number) or abort(404)
    return send_file(
        BytesIO(issued.pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=issued.filename,
        max_age=0,
    )


@bp.route("/organisation/<int:organisation_id>/members", methods=["POST"])
@login_required
def add_member(organisation_id: int):
    organisation = _managed(organisation_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _page(organisation, failed=form, status=422)
    try:
        member = admin_services.add_member(current_user, organisation, form.member_email.data)
    except admin_services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, f"Added {member.email} as a named member.")


@bp.route("/organisation/<int:organisation_id>/members/<int:member_id>/remove", methods=["POST"])
@login_required
def remove_member(organisation_id: int, member_id: int):
    organisation = _managed(organisation_id)
    member = _part(NamedMember, member_id, organisation)
    email = member.email
    admin_services.remove_member(current_user, member)
    return _done(organisation, f"Removed the named member {email}.")


@bp.route("/organisation/<int:organisation_id>/managers", methods=["POST"])
@login_required
def appoint_manager(organisation_id: int):
    organisation = _managed(organisation_id)
    form = ManagerForm()
    if not form.validate_on_submit():
        return _page(organisation, failed=form, status=422)
    try:
        appointment = managers.appoint_manager(current_user, organisation, form.manager_email.data)
    except admin_services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, f"{appointment.user.email} is now a manager.")


@bp.route("/organisation/<int:organisation_id>/managers/<int:manager_id>/remove", methods=["POST"])
@login_required
def remove_manager(organisation_id: int, manager_id: int):
    organisation = _managed(organisation_id)
    appointment = _part(OrganisationManager, manager_id, organisation)
    email = appointment.user.email
    try:
        managers.remove_manager(current_user, appointment, by_administrator=False)
    except admin_services.SubscriberRuleBroken as broken:
        return _refused(organisation, ManagerForm(formdata=None), broken)
    if appointment.user_id == current_user.id:
        db.session.commit()
        flash(f"You are no longer a manager of {organisation.name}.", "success")
        return redirect(url_for("accounts.account"))
    return _done(organisation, f"{email} is no longer a manager.")
