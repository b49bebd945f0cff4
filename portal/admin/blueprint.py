"""The administration blueprint: every page under /admin is for administrators only."""

from flask import Blueprint, abort
from flask_login import current_user

from portal.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _administrators_only():
    """Guests go to sign in; anyone signed in who is not an administrator gets 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_admin:
        abort(403)
    return None
