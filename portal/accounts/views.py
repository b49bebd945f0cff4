"""Register, verify, sign in and out, and manage a password."""

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from portal.accounts import services, sign_in_flow, signed_in, two_factor
from portal.accounts.blueprint import bp
from portal.accounts.forms import (
    ChangePasswordForm,
    ChoosePasswordForm,
    ForgottenPasswordForm,
    RegisterForm,
    ResendVerificationForm,
    ResetPasswordForm,
    SignInForm,
)
from portal.accounts.redirects import safe_next
from portal.clock import today_in_london
from portal.extensions import db, login_manager
from portal.operations.limits import (
    FORGOTTEN_PASSWORD,
    REGISTER,
    RESEND_VERIFICATION,
    SIGN_IN,
    emails_typed_address,
    flash_sent,
    post_limit,
)
from portal.orders.access import orders_of
from portal.organisations.managers import managed_organisations
from portal.organisations.services import person_for
from portal.payments import refund_failures
from portal.pricing import describe_subscription, subscription_reason

#: The registering browser's proof that it chose the password (``services.registration_proof``).
REGISTRATION_PROOF_KEY = "registration_proof"

login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Sign in to see that page."
login_manager.login_message_category = "info"


@bp.route("/register", methods=["GET", "POST"])
@post_limit(REGISTER)
@emails_typed_address
def register():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    form = RegisterForm()
    if form.validate_on_submit():
        proof = services.register_user(
            form.email.data, form.name.data, form.organisation.data or "", form.password.data
        )
        db.session.commit()
        # Lets this browser's click on the emailed link verify without asking for the password.
        session[REGISTRATION_PROOF_KEY] = proof
        session["check_email_address"] = services.normalise_email(form.email.data)
        return redirect(url_for("accounts.check_email"))
    return render_template("accounts/register.html", form=form)


@bp.route("/register/check-your-email")
def check_email():
    address = session.get("check_email_address")
    if not address:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/check_email.html", address=address)


@bp.route("/verify-email/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    try:
        user = services.user_for_verification_token(token)
    except services.InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired), 400
    signed_in_here = current_user.is_authenticated and current_user.id == user.id
    if services.verification_needs_password(
        user,
        proof=session.get(REGISTRATION_PROOF_KEY),
        signed_in_user_id=current_user.id if current_user.is_authenticated else None,
    ):
        return _choose_password_to_verify(user)
    services.verify_email(user)
    db.session.commit()
    session.pop(REGISTRATION_PROOF_KEY, None)
    flash("Your email address is verified.", "success")
    if signed_in_here:
        return redirect(url_for("accounts.account"))
    return redirect(url_for("accounts.sign_in", email=user.email))


def _choose_password_to_verify(user):
    form = ChoosePasswordForm(personal=[user.email, user.name, user.organisation_name])
    if form.validate_on_submit():
        services.verify_email_with_password(user, form.password.data)
        db.session.commit()
        session.pop(REGISTRATION_PROOF_KEY, None)
        flash("Your email address is verified. Sign in with the password you chose.", "success")
        return redirect(url_for("accounts.sign_in", email=user.email))
    return render_template("accounts/verify_choose_password.html", form=form, address=user.email)


@bp.route("/account/verify-email", methods=["POST"])
@post_limit(RESEND_VERIFICATION)
@emails_typed_address
@login_required
def resend_verification():
    form = ResendVerificationForm()
    if form.validate_on_submit() and not current_user.email_verified:
        services.send_verification_email(current_user)
        db.session.commit()
        flash_sent(current_user.email, f"We have sent a new link to {current_user.email}.")
    return redirect(url_for("accounts.account"))


@bp.route("/sign-in", methods=["GET", "POST"])
@post_limit(SIGN_IN)
def sign_in():
    next_page = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_page or url_for("accounts.account"))
    form = SignInForm()
    if request.method == "GET":
        form.next.data = next_page or ""
        email = request.args.get("email", "")
        if isinstance(email, str) and len(email) <= 254:
            form.email.data = email
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            if two_factor.is_enabled(user):
                # Not signed in yet: the code step completes it.
                return sign_in_flow.begin_second_factor(
                    user, remember=form.remember.data, next_page=form.next.data
                )
            return sign_in_flow.complete_sign_in(
                user, remember=form.remember.data, next_page=form.next.data, second_factor=False
            )
        db.session.commit()  # keeps the count of wrong passwords that leads to a lockout
        form.email.errors.append(services.SIGN_IN_REFUSED)
    return render_template("accounts/sign_in.html", form=form)


@bp.route("/forgotten-password", methods=["GET", "POST"])
@post_limit(FORGOTTEN_PASSWORD)
@emails_typed_address
def forgotten_password():
    form = ForgottenPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return render_template(
            "accounts/reset_sent.html",
            address=services.normalise_email(form.email.data),
            minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
        )
    return render_template("accounts/forgotten_password.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(token)
    except services.InvalidToken as error:
        return render_template("accounts/link_invalid.html", expired=error.expired, reset=True), 400
    form = ResetPasswordForm(personal=[user.email, user.name, user.organisation_name])
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        session.clear()
        logout_user()  # after the clear, so the "remember me" cookie is deleted too
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.sign_in", email=user.email))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/account")
@login_required
def account():
    today = today_in_london()
    person = person_for(current_user, today)
    orders = orders_of(current_user)
    return render_template(
        "accounts/account.html",
        user=current_user,
        resend_form=ResendVerificationForm(),
        subscription=describe_subscription(person, today),
        membership=person.membership,
        managed=managed_organisations(current_user),
        orders=orders,
        refund_owed=refund_failures.orders_owed_a_refund([order.id for order in orders]),
        is_subscriber=subscription_reason(person, today) is None,
        sessions=[
            (row, signed_in.is_this_session(row, current_user.get_id()))
            for row in signed_in.live_sessions(current_user)
        ],
    )


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = current_user._get_current_object()
    form = ChangePasswordForm(personal=[user.email, user.name, user.organisation_name])
    if form.validate_on_submit():
        if services.change_password(user, form.current_password.data, form.password.data):
            db.session.commit()
            flash(
                "Your password has been changed. You have been signed out everywhere else.",
                "success",
            )
            return redirect(url_for("accounts.account"))
        db.session.rollback()
        form.current_password.errors.append("Current password is not correct")
    return render_template("accounts/change_password.html", form=form)
