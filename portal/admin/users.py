"""Administration of user accounts: find people, and make them administrators or take that away."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.accounts import admin_services as services
from portal.accounts.models import User
from portal.admin.blueprint import bp
from portal.admin.params import page_number, text_arg
from portal.data_rights import erasure
from portal.data_rights.forms import EraseOnRequestForm
from portal.extensions import db


@bp.route("/users")
def users():
    page, search = page_number(), text_arg("q", 254)
    rows, more = services.find_users(search, page=page)
    return render_template(
        "admin/subscribers/users.html", users=rows, search=search, page=page, more=more
    )


def _set_administrator(user_id: int, is_admin: bool):
    user = db.session.get(User, user_id) or abort(404)
    try:
        changed = services.set_administrator(current_user, user, is_admin)
    except services.AdministratorChangeRefused as refused:
        flash(str(refused), "error")
    else:
        db.session.commit()
        if changed:
            done = "is now an administrator" if is_admin else "is no longer an administrator"
            flash(f"{user.email} {done}.", "success")
    # Back to the list as it was filtered; only a query string of our own, never another site.
    search = request.form.get("q", "")[:254]
    return redirect(url_for("admin.users", q=search or None))


@bp.route("/users/<int:user_id>/make-admin", methods=["POST"])
def make_admin(user_id: int):
    return _set_administrator(user_id, True)


@bp.route("/users/<int:user_id>/remove-admin", methods=["POST"])
def remove_admin(user_id: int):
    return _set_administrator(user_id, False)


@bp.route("/users/<int:user_id>/close", methods=["GET", "POST"])
def close_account(user_id: int):
    """Close a person's account and erase them, on their request (the reason is audited)."""
    user = db.session.get(User, user_id) or abort(404)
    form = EraseOnRequestForm()
    if user.erased_at is None and form.validate_on_submit():
        erasure.erase_person(user, by=current_user, reason=form.reason.data)
        db.session.commit()
        flash(f"The account was closed and {user.name} stands in for the person.", "success")
        return redirect(url_for("admin.users"))
    return render_template(
        "admin/subscribers/close_account.html",
        user=user,
        form=form,
        open_orders=erasure.open_orders(user) if user.erased_at is None else [],
    )
