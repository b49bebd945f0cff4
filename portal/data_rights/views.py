"""A person's data rights: a copy of their data, and closing their account."""

from flask import Blueprint, redirect, render_template, request, send_file, session, url_for
from flask_login import current_user, login_required, logout_user

from portal.accounts import two_factor
from portal.data_rights import erasure, export
from portal.data_rights.forms import CloseAccountForm
from portal.extensions import db

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
    user = current_user._get_current_object()
    return send_file(
        export.write_archive(user),
        mimetype="application/zip",
        as_attachment=True,
        download_name=export.archive_name(user),
        max_age=0,
    )
