"""A person's data rights: a copy of their data, and closing their account."""

from flask import (
    Blueprint,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from portal.accounts import two_factor
from portal.data_rights import erasure, export, guest_link
from portal.data_rights.forms import CloseAccountForm
from portal.extensions import db
from portal.operations.limits import SEND_ORDER_LINK, emails_typed_address, flash_sent, post_limit
from portal.orders.access import find_order, may_view, placed_here

bp = Blueprint("data_rights", __name__)


@bp.route("/account/close", methods=["GET", "POST"])
@login_required
def close_account():
    user = current_user._get_current_object()
    form = CloseAccountForm()
    asks_code = two_factor.is_enabled(user)
    if form.validate_on_submit():
        try:
            erasure.check_owner(
                user, form.password.data, form.code.data, address=request.remote_addr or ""
            )
            erasure.erase_person(user)
        except two_factor.SecondFactorLocked as locked:
            form.code.errors.append(locked.message)
        except erasure.WrongCredentials:
            wrong = "Enter your correct password and a current code" if asks_code else None
            (form.code if asks_code else form.password).errors.append(
                wrong or "Password is not correct"
            )
        else:
            db.session.commit()
            session.clear()
            logout_user()
            return redirect(url_for("data_rights.account_closed"))
        db.session.commit()  # the count of wrong codes, nothing else
    return render_template(
        "data_rights/close_account.html",
        form=form,
        asks_code=asks_code,
        open_orders=erasure.open_orders(user),
    )


@bp.route("/account/closed")
def account_closed():
    return render_template("data_rights/account_closed.html")


@bp.route("/account/your-data")
@login_required
def your_data():
    return render_template("data_rights/your_data.html")


@bp.route("/account/your-data/archive")
@login_required
def your_data_archive():
    return _send_archive(export.Subject.person(current_user._get_current_object()))


def _send_archive(subject: export.Subject):
    return send_file(
        export.write_archive(subject),
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.archive_name(subject),
        max_age=0,
    )


@bp.route("/orders/<reference>/your-data", methods=["POST"])
@post_limit(SEND_ORDER_LINK)
@emails_typed_address
def request_guest_archive(reference: str):
    """A guest asks for their data: a link goes to the order's own address, never another."""
    order = find_order(reference)
    token = request.form.get("token")
    if order is None or order.user_id is not None:
        abort(404)
    if not may_view(order, current_user, placed_here(session), token):
        abort(404)
    guest_link.send_link(order)
    db.session.commit()
    flash_sent(order.email, f"We have emailed a link to a copy of your data to {order.email}.")
    return redirect(url_for("orders.show", reference=order.reference, token=token or None))


@bp.route("/your-data/<token>")
def guest_archive(token: str):
    try:
        address = guest_link.address_in(token, current_user)
    except guest_link.LinkRefused as refused:
        return render_template("data_rights/link_refused.html", why=refused.why), refused.status
    return _send_archive(export.Subject.guest(address))
