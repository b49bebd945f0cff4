"""A person changes their own details: name, organisation text and email address."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts import profile
from portal.accounts.blueprint import bp
from portal.accounts.forms import ChangeEmailForm, DetailsForm
from portal.accounts.services import InvalidToken, normalise_email
from portal.extensions import db
from portal.operations.limits import (
    RESEND_VERIFICATION,
    TOO_MANY_EMAILS,
    emails_typed_address,
    post_limit,
    withheld,
)

#: What a request to change address says, whether or not another account has the address.
LINK_SENT = (
    "We have sent a link to {address}. Your account keeps using {current} until you open it."
)


@bp.route("/account/details", methods=["GET", "POST"])
@login_required
def change_details():
    user = current_user._get_current_object()
    form = DetailsForm(data={"name": user.name, "organisation": user.organisation_name})
    if form.validate_on_submit():
        if profile.update_details(user, form.name.data, form.organisation.data or ""):
            db.session.commit()
            flash("Your details have been saved.", "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/change_details.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@post_limit(RESEND_VERIFICATION)
@emails_typed_address
@login_required
def change_email():
    user = current_user._get_current_object()
    form = ChangeEmailForm()
    if form.validate_on_submit():
        if normalise_email(form.email.data) == user.email:
            form.email.errors.append("That is already your email address")
        else:
            try:
                address = profile.request_email_change(user, form.password.data, form.email.data)
            except profile.WrongPassword:
                form.password.errors.append("Password is not correct")
            else:
                db.session.commit()
                if withheld():
                    flash(TOO_MANY_EMAILS.format(address=address), "info")
                else:
                    flash(LINK_SENT.format(address=address, current=user.email), "success")
                return redirect(url_for("accounts.account"))
    return render_template("accounts/change_email.html", form=form, user=user)


@bp.route("/account/email/confirm/<token>")
def confirm_email_change(token: str):
    try:
        user = profile.confirm_email_change(token)
    except InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired), 400
    db.session.commit()
    flash(f"Your account now uses {user.email}.", "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("accounts.account"))
    return redirect(url_for("accounts.sign_in", email=user.email))
