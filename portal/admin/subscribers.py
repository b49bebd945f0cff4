"""Administration of Insight subscribers: organisations, their domains, subscription periods and
named members; the CSV import (previewed before it is applied) and the CSV export."""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from portal import audit
from portal.admin.blueprint import bp
from portal.admin.params import page_number, text_arg
from portal.clock import today_in_london
from portal.extensions import db
from portal.organisations import admin_services as services
from portal.organisations import managers
from portal.organisations.admin_forms import (
    DomainForm,
    ImportApplyForm,
    ImportUploadForm,
    ManagerForm,
    MemberForm,
    OnStopForm,
    OrganisationForm,
    PublicSectorDomainForm,
    SubscriptionForm,
)
from portal.organisations.contact_forms import ContactForm
from portal.organisations.contacts import contacts_of
from portal.organisations.export import subscriber_row_count, subscribers_csv
from portal.organisations.importer import ImportRejected, apply_import, plan_import
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    OrganisationManager,
    PublicSectorDomain,
)
from portal.organisations.subscriber_csv import MAX_FILE_BYTES

# Organisations


@bp.route("/organisations")
def organisations():
    page, search = page_number(), text_arg("q", 200)
    rows, more = services.find_organisations(search, page=page)
    today = today_in_london()
    return render_template(
        "admin/subscribers/organisations.html",
        organisations=rows,
        statuses={o.id: services.subscription_status(o, today) for o in rows},
        member_counts=services.named_member_counts(),
        search=search,
        page=page,
        more=more,
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
def new_organisation():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                current_user, form.name.data, form.kind_value
            )
        except services.SubscriberRuleBroken as broken:
            getattr(form, broken.field).errors.append(broken.message)
        else:
            db.session.commit()
            flash(f"Added {organisation.name}.", "success")
            return redirect(url_for("admin.organisation", organisation_id=organisation.id))
    return render_template("admin/subscribers/new_organisation.html", form=form)


def _organisation(organisation_id: int) -> Organisation:
    return db.session.get(Organisation, organisation_id) or abort(404)


def _part(model, part_id: int, organisation: Organisation):
    """A domain, period or member of this organisation (404 for another organisation's)."""
    part = db.session.get(model, part_id)
    if part is None or part.organisation_id != organisation.id:
        abort(404)
    return part


def _organisation_page(organisation: Organisation, failed=None):
    """The organisation page; ``failed`` is the form whose errors to show, kept as typed."""
    forms = {
        "details_form": OrganisationForm(formdata=None, obj=organisation),
        "domain_form": DomainForm(formdata=None),
        "subscription_form": SubscriptionForm(formdata=None),
        "member_form": MemberForm(formdata=None),
        "manager_form": ManagerForm(formdata=None),
        "stop_form": OnStopForm(formdata=None),
        "contact_form": ContactForm(formdata=None),
    }
    forms["details_form"].kind.data = organisation.kind.value
    for name, form in forms.items():
        if failed is not None and type(form) is type(failed):
            forms[name] = failed
    overlaps = {
        s.id: services.overlapping(organisation, s.starts_on, s.ends_on, other_than=s.id)
        for s in organisation.subscriptions
    }
    return render_template(
        "admin/subscribers/organisation.html",
        organisation=organisation,
        status=services.subscription_status(organisation, today_in_london()),
        overlaps=overlaps,
        users=services.users_belonging_to(organisation),
        contacts=contacts_of(organisation),
        appointments=managers.managers_of(organisation),
        failed=failed,
        **forms,
    )


def _done(organisation: Organisation, message: str):
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.organisation", organisation_id=organisation.id))


def _refused(organisation: Organisation, form, broken: services.SubscriberRuleBroken):
    db.session.rollback()
    getattr(form, broken.field).errors.append(broken.message)
    return _organisation_page(organisation, failed=form)


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id: int):
    return _organisation_page(_organisation(organisation_id))


@bp.route("/organisations/<int:organisation_id>/details", methods=["POST"])
def update_organisation(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = OrganisationForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation, failed=form)
    try:
        services.update_organisation(current_user, organisation, form.name.data, form.kind_value)
    except services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, "Saved the name and kind.")


@bp.route("/organisations/<int:organisation_id>/domains", methods=["POST"])
def add_domain(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = DomainForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation, failed=form)
    try:
        registered = services.add_domain(current_user, organisation, form.domain.data)
    except services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, f"Added the domain {registered.domain}.")


@bp.route("/organisations/<int:organisation_id>/domains/<int:domain_id>/remove", methods=["POST"])
def remove_domain(organisation_id: int, domain_id: int):
    organisation = _organisation(organisation_id)
    registered = _part(OrganisationDomain, domain_id, organisation)
    domain = registered.domain
    services.remove_domain(current_user, registered)
    return _done(organisation, f"Removed the domain {domain}.")


def _overlap_hint(organisation: Organisation, subscription: InsightSubscription) -> None:
    others = services.overlapping(
        organisation, subscription.starts_on, subscription.ends_on, other_than=subscription.id
    )
    if others:
        periods = "; ".join(services.describe_period(s) for s in others)
        flash(f"This period overlaps another: {periods}. Check the dates are right.", "info")


@bp.route("/organisations/<int:organisation_id>/subscriptions", methods=["POST"])
def add_subscription(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = SubscriptionForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation, failed=form)
    try:
        subscription = services.add_subscription(
            current_user, organisation, form.starts_on.data, form.ends_on.data, form.notes.data
        )
    except services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    _overlap_hint(organisation, subscription)
    return _done(organisation, f"Added the subscription {services.describe_period(subscription)}.")


@bp.route(
    "/organisations/<int:organisation_id>/subscriptions/<int:subscription_id>",
    methods=["GET", "POST"],
)
def edit_subscription(organisation_id: int, subscription_id: int):
    organisation = _organisation(organisation_id)
    subscription = _part(InsightSubscription, subscription_id, organisation)
    form = SubscriptionForm(obj=subscription)
    if form.validate_on_submit():
        try:
            services.update_subscription(
                current_user, subscription, form.starts_on.data, form.ends_on.data, form.notes.data
            )
        except services.SubscriberRuleBroken as broken:
            db.session.rollback()
            getattr(form, broken.field).errors.append(broken.message)
        else:
            _overlap_hint(organisation, subscription)
            return _done(organisation, "Saved the subscription.")
    return render_template(
        "admin/subscribers/subscription.html",
        organisation=organisation,
        subscription=subscription,
        form=form,
    )


@bp.route("/organisations/<int:organisation_id>/members", methods=["POST"])
def add_member(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = MemberForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation, failed=form)
    try:
        member = services.add_member(current_user, organisation, form.member_email.data)
    except services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, f"Added {member.email} as a named member.")


@bp.route("/organisations/<int:organisation_id>/members/<int:member_id>/remove", methods=["POST"])
def remove_member(organisation_id: int, member_id: int):
    organisation = _organisation(organisation_id)
    member = _part(NamedMember, member_id, organisation)
    email = member.email
    services.remove_member(current_user, member)
    return _done(organisation, f"Removed the named member {email}.")


@bp.route("/organisations/<int:organisation_id>/managers", methods=["POST"])
def appoint_manager(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = ManagerForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation, failed=form)
    try:
        appointment = managers.appoint_manager(current_user, organisation, form.manager_email.data)
    except services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, f"{appointment.user.email} is now a manager.")


@bp.route("/organisations/<int:organisation_id>/managers/<int:manager_id>/remove", methods=["POST"])
def remove_manager(organisation_id: int, manager_id: int):
    """Administrators may remove any manager, the last one included."""
    organisation = _organisation(organisation_id)
    appointment = _part(OrganisationManager, manager_id, organisation)
    email = appointment.user.email
    managers.remove_manager(current_user, appointment, by_administrator=True)
    return _done(organisation, f"{email} is no longer a manager.")


@bp.route("/organisations/<int:organisation_id>/on-stop", methods=["POST"])
def put_on_stop(organisation_id: int):
    organisation = _organisation(organisation_id)
    form = OnStopForm()
    if not form.validate_on_submit():
        return _organisation_page(organisation, failed=form)
    try:
        services.put_on_stop(current_user, organisation, form.stop_reason.data)
    except services.SubscriberRuleBroken as broken:
        return _refused(organisation, form, broken)
    return _done(organisation, f"{organisation.name} is on stop: its new invoice orders wait.")


@bp.route("/organisations/<int:organisation_id>/off-stop", methods=["POST"])
def take_off_stop(organisation_id: int):
    organisation = _organisation(organisation_id)
    try:
        services.take_off_stop(current_user, organisation)
    except services.SubscriberRuleBroken as broken:
        db.session.rollback()
        flash(broken.message, "error")
        return redirect(url_for("admin.organisation", organisation_id=organisation_id))
    return _done(organisation, f"{organisation.name} is off stop.")


# Public-sector domains


def _public_sector_page(form=None):
    form = form or PublicSectorDomainForm(formdata=None)
    listed = db.session.scalars(select(PublicSectorDomain).order_by(PublicSectorDomain.domain))
    return render_template(
        "admin/subscribers/public_sector_domains.html", domains=list(listed), form=form
    ), (400 if form.errors else 200)


@bp.route("/public-sector-domains", methods=["GET", "POST"])
def public_sector_domains():
    form = PublicSectorDomainForm()
    if not form.is_submitted():
        return _public_sector_page()
    if not form.validate():
        return _public_sector_page(form)
    try:
        listed = services.add_public_sector_domain(current_user, form.public_domain.data)
    except services.SubscriberRuleBroken as broken:
        db.session.rollback()
        form.public_domain.errors.append(broken.message)
        return _public_sector_page(form)
    db.session.commit()
    flash(f"Added {listed.domain} to the public-sector domains.", "success")
    return redirect(url_for("admin.public_sector_domains"))


@bp.route("/public-sector-domains/<int:domain_id>/remove", methods=["POST"])
def remove_public_sector_domain(domain_id: int):
    listed = db.session.get(PublicSectorDomain, domain_id) or abort(404)
    domain = listed.domain
    services.remove_public_sector_domain(current_user, listed)
    db.session.commit()
    flash(f"Removed {domain} from the public-sector domains.", "success")
    return redirect(url_for("admin.public_sector_domains"))


# Import and export


def _import_serializer() -> URLSafeSerializer:
    # Signed with the app's secret so the apply step gets exactly the previewed file back; the
    # salt keeps these tokens from being accepted anywhere else the secret signs things.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="admin.subscriber-import")


@bp.url_value_preprocessor
def _room_for_a_previewed_file(endpoint, values):
    """Let an administrator's apply request carry a file as large as the import accepts.

    The form field is read (to check CSRF) before any view runs, and Flask caps form fields at
    500 kB by default; this runs earlier still, and only raises the cap for administrators.
    """
    if (
        endpoint == "admin.apply_subscriber_import"
        and current_user.is_authenticated
        and current_user.is_admin
    ):
        request.max_form_memory_size = 2 * MAX_FILE_BYTES


@bp.route("/organisations/import", methods=["GET", "POST"])
def import_subscribers():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return render_template("admin/subscribers/import.html", form=form)
    # One byte over the limit is enough for the plan to say the file is too large.
    data = form.file.data.read(MAX_FILE_BYTES + 1)
    plan = plan_import(data)
    token = ""
    if not plan.problems and plan.changes:
        token = _import_serializer().dumps(data.decode("utf-8-sig"))
    return render_template(
        "admin/subscribers/import_preview.html",
        plan=plan,
        file_name=form.file.data.filename or "the file",
        apply_form=ImportApplyForm(formdata=None, content=token),
    )


@bp.route("/organisations/import/apply", methods=["POST"])
def apply_subscriber_import():
    form = ImportApplyForm()
    try:
        text = _import_serializer().loads(form.content.data or "")
    except BadSignature:
        flash("The file to import was changed after its preview: upload it again.", "error")
        return redirect(url_for("admin.import_subscribers"))
    try:
        changes = _apply(text)
    except ImportRejected as rejected:
        db.session.rollback()
        return render_template(
            "admin/subscribers/import_preview.html",
            plan=rejected,
            file_name="the file",
            apply_form=None,
        )
    db.session.commit()
    if not changes:
        flash("Nothing to change: everything in the file is already recorded.", "info")
    else:
        flash(f"Imported the file: {len(changes)} changes made.", "success")
    return redirect(url_for("admin.organisations"))


def _apply(text: str) -> list[str]:
    changes = apply_import(plan_import(text))
    if changes:
        audit.record(
            current_user,
            "organisation.import",
            "organisation",
            "import",
            after={"changes": len(changes)},
            note="\n".join(changes[:200]),
        )
    return changes


@bp.route("/organisations/export.csv")
def export_subscribers():
    filename = f"insight-subscribers-{today_in_london().isoformat()}.csv"
    audit.record_export(current_user, "subscribers", subscriber_row_count())
    db.session.commit()  # on record before the first row leaves
    return Response(
        stream_with_context(subscribers_csv()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
