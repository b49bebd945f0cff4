"""The page that asks a new administrator to confirm by email, and the link that confirms."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts import admin_confirmation, two_factor
from portal.accounts.blueprint import bp
from portal.accounts.forms import ResendVerificationForm
from portal.accounts.services import InvalidToken
from portal.extensions import db
from portal.operations.limits import RESEND_VERIFICATION, post_limit


@bp.route("/account/administrator", methods=["GET", "POST"])
@post_limit(RESEND_VERIFICATION)
@login_required
def confirm_administrator():
    """Where /admin sends an administrator who has not confirmed yet; sends the link again."""
    user = current_user._get_current_object()
    if not admin_confirmation.needs_confirmation(user):
        return redirect(url_for("accounts.account"))
    form = ResendVerificationForm()
    if form.validate_on_submit():
        admin_confirmation.send_confirmation(user)
        db.session.commit()
        flash(f"We have sent a new link to {user.email}.", "success")
        return redirect(url_for("accounts.confirm_administrator"))
    return render_template("accounts/confirm_administrator.html", form=form, user=user)


@bp.route("/account/administrator/confirm/<token>")
def confirm_administrator_link(token: str):
    try:
        user = admin_confirmation.confirm(token)
    except InvalidToken as error:
        db.session.rollback()
        return render_template("accounts/link_invalid.html", expired=error.expired), 400
    db.session.commit()
    if not (current_user.is_authenticated and current_user.id == user.id):
        flash("You are confirmed as an administrator. Sign in to continue.", "success")
        return redirect(url_for("accounts.sign_in", email=user.email))
    if not two_factor.is_enabled(user):
        flash("You are confirmed as an administrator. Now set up two-factor sign-in.", "success")
        return redirect(url_for("accounts.two_factor_setup"))
    flash("You are confirmed as an administrator.", "success")
    return redirect(url_for("admin.dashboard"))
