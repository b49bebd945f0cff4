"""The administration blueprint: every page under /admin is for administrators only."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from portal.accounts import admin_confirmation, sign_in_flow, two_factor
from portal.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _administrators_only():
    return administrator_gate()


def administrator_gate():
    """None when the asker may use administrators' pages; otherwise the answer to give them.

    Guests go to sign in; anyone signed in who is not an administrator gets 403. Someone made an
    administrator from a plain account is first asked to confirm it by the link emailed to them.

    An administrator also needs a second factor: without one set up they are sent to set it up;
    with one, a session that has not proved it (a "remember me" return) is asked for a code.
    """
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    if admin_confirmation.needs_confirmation(current_user):
        return redirect(url_for("accounts.confirm_administrator"))
    if not two_factor.is_enabled(current_user):
        flash("Administrators must set up two-factor sign-in", "info")
        return redirect(url_for("accounts.two_factor_setup"))
    if not sign_in_flow.has_second_factor():
        return redirect(url_for("accounts.sign_in_two_factor", next=request.full_path))
    return None
