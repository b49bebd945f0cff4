"""Two-factor sign-in pages: the code step of signing in, set-up, recovery codes, turning off."""

import logging

from flask import abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from portal.accounts import admin_confirmation, sign_in_flow, two_factor
from portal.accounts.blueprint import bp
from portal.accounts.forms import (
    RecoveryCodesForm,
    TurnOffTwoFactorForm,
    TwoFactorSetUpForm,
    TwoFactorSignInForm,
)
from portal.accounts.redirects import safe_next
from portal.extensions import db
from portal.operations.limits import SIGN_IN, post_limit

WRONG_CODE = "Enter a correct code"
WRONG_SETUP_CODE = (
    "The code is not correct. Check the clock on your phone is right and enter the code "
    "your app shows now"
)

log = logging.getLogger(__name__)


@bp.errorhandler(two_factor.SecretUnreadable)
def _secret_unreadable(error):
    """A TOTP secret the configured key cannot open: say so plainly and let nobody past."""
    log.error("two-factor secret unreadable: %s", error)
    return render_template("accounts/two_factor_unavailable.html"), 503


def _signed_out_for_too_many(locked: two_factor.SecondFactorLocked):
    """End whatever this session was doing after the lock began, keeping the count."""
    db.session.commit()  # the count, the lock, the email to the holder and the audit entry
    session.clear()
    logout_user()  # after the clear, so a "remember me" cookie is deleted too
    flash(locked.message, "info")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/sign-in/two-factor", methods=["GET", "POST"])
# Wrong codes are counted on the account (two_factor_lockout); this limits how fast one client asks.
@post_limit(SIGN_IN)
def sign_in_two_factor():
    """Second step of signing in; also asks a remembered session for a code before /admin."""
    had_pending = sign_in_flow.PENDING_KEY in session
    pending = sign_in_flow.pending_sign_in()
    if pending is not None:
        return _finish_pending_sign_in(pending)
    if (
        current_user.is_authenticated
        and two_factor.is_enabled(current_user)
        and not sign_in_flow.has_second_factor()
    ):
        return _step_up()
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    if had_pending:
        flash("Your sign-in timed out. Sign in again.", "info")
    return redirect(url_for("accounts.sign_in"))


def _finish_pending_sign_in(pending: dict):
    user = sign_in_flow.pending_user(pending)
    if user is None or not two_factor.is_enabled(user):
        session.pop(sign_in_flow.PENDING_KEY, None)
        return redirect(url_for("accounts.sign_in"))
    form = TwoFactorSignInForm()
    if form.validate_on_submit():
        try:
            right = two_factor.check_second_factor(
                user, form.code.data, address=request.remote_addr or ""
            )
        except two_factor.SecondFactorLocked as locked:
            return _signed_out_for_too_many(locked)
        if right:
            return sign_in_flow.complete_sign_in(
                user, remember=pending["remember"], next_page=pending["next"], second_factor=True
            )
        db.session.commit()  # the count of wrong codes
        form.code.errors.append(WRONG_CODE)
    return render_template("accounts/two_factor_sign_in.html", form=form)


def _step_up():
    """A signed-in session without the second factor (a "remember me" return) proves it now."""
    form = TwoFactorSignInForm()
    if form.validate_on_submit():
        try:
            right = two_factor.check_second_factor(
                current_user, form.code.data, address=request.remote_addr or ""
            )
        except two_factor.SecondFactorLocked as locked:
            return _signed_out_for_too_many(locked)
        if right:
            sign_in_flow.mark_second_factor()
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("accounts.account"))
        db.session.commit()  # the count of wrong codes
        form.code.errors.append(WRONG_CODE)
    return render_template("accounts/two_factor_sign_in.html", form=form)


def _recovery_codes_page(codes: list[str], *, just_turned_on: bool):
    response = make_response(
        render_template(
            "accounts/two_factor_recovery_codes.html", codes=codes, just_turned_on=just_turned_on
        )
    )
    response.headers["Cache-Control"] = "no-store"  # shown once: never kept by a cache
    return response


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    user = current_user._get_current_object()
    if two_factor.is_enabled(user):
        return render_template(
            "accounts/two_factor_manage.html",
            user=user,
            codes_left=two_factor.recovery_codes_left(user),
        )
    if admin_confirmation.needs_confirmation(user):
        # Set up first, confirmed never: the password alone would make an administrator.
        return redirect(url_for("accounts.confirm_administrator"))
    secret = two_factor.start_setup(user)
    form = TwoFactorSetUpForm()
    if form.validate_on_submit():
        codes = two_factor.confirm_setup(user, form.code.data)
        if codes is not None:
            # Proving the app works is a second factor for this session too.
            sign_in_flow.mark_second_factor()
            db.session.commit()
            return _recovery_codes_page(codes, just_turned_on=True)
        form.code.errors.append(WRONG_SETUP_CODE)
    db.session.commit()  # keep the secret made on the first visit
    uri = two_factor.provisioning_uri(user, secret)
    response = make_response(
        render_template(
            "accounts/two_factor_setup.html",
            form=form,
            secret=two_factor.grouped_secret(secret),
            uri=uri,
            qr_svg=two_factor.qr_code_svg(uri),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
def two_factor_recovery_codes():
    user = current_user._get_current_object()
    if not two_factor.is_enabled(user):
        return redirect(url_for("accounts.two_factor_setup"))
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            right = two_factor.check_app_code(
                user, form.code.data, address=request.remote_addr or ""
            )
        except two_factor.SecondFactorLocked as locked:
            right, error = False, locked.message
        else:
            error = WRONG_CODE
        if right:
            codes = two_factor.new_recovery_codes(user)
            db.session.commit()
            return _recovery_codes_page(codes, just_turned_on=False)
        db.session.commit()  # the count of wrong codes
        form.code.errors.append(error)
    return render_template("accounts/two_factor_regenerate.html", form=form)


@bp.route("/account/two-factor/turn-off", methods=["GET", "POST"])
@login_required
def two_factor_turn_off():
    user = current_user._get_current_object()
    if not two_factor.is_enabled(user):
        return redirect(url_for("accounts.two_factor_setup"))
    if user.is_admin:
        if request.method == "POST":
            abort(403)
        return render_template("accounts/two_factor_turn_off.html", form=None)
    form = TurnOffTwoFactorForm()
    if form.validate_on_submit():
        try:
            done = two_factor.turn_off(
                user, form.password.data, form.code.data, address=request.remote_addr or ""
            )
        except two_factor.SecondFactorLocked as locked:
            done = False
            form.code.errors.append(locked.message)
        else:
            if not done:
                form.code.errors.append("Enter your correct password and a current code")
        db.session.commit()  # turned off, or the count of wrong codes
        if done:
            flash("Two-factor sign-in is off.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/two_factor_turn_off.html", form=form)
