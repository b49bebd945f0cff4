"""Signed-in sessions: who a request is signed in as, and the pages that end sessions."""

import contextlib
import logging

from flask import abort, flash, g, redirect, session, url_for
from flask_login import current_user, login_required, logout_user, user_logged_out
from sqlalchemy.exc import SQLAlchemyError

from portal.accounts import signed_in
from portal.accounts.blueprint import bp
from portal.accounts.models import User
from portal.extensions import db, login_manager

log = logging.getLogger(__name__)
_TOUCH_KEY = "signed_in_session_to_touch"


@login_manager.user_loader
def _load_signed_in_user(token: str) -> User | None:
    """The cookies name a signed-in session; an ended, expired or unknown one is nobody."""
    found = signed_in.load(token)
    if found is None:
        return None
    user, row = found
    if signed_in.needs_touch(row):
        setattr(g, _TOUCH_KEY, row.id)
    return user


@bp.teardown_app_request
def _write_last_seen(error: BaseException | None) -> None:
    """Write "last seen" after the request (at most once a minute per session), in a
    transaction of its own: whatever the request left uncommitted is being thrown away anyway."""
    session_id = g.pop(_TOUCH_KEY, None)
    if session_id is None or error is not None:
        return
    try:
        db.session.rollback()
        signed_in.touch(session_id)
        db.session.commit()
    except SQLAlchemyError:
        # The response is already made: a database in trouble must not turn it into an error.
        log.warning("could not record when signed-in session %s was last seen", session_id)
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()


@user_logged_out.connect
def _end_session_at_sign_out(sender, user=None, **extra) -> None:
    """Any sign-out ends the session's row, so a copy of its cookies stops working too."""
    token = getattr(user, "signed_in_token", None)
    if token:
        signed_in.end_token(token)
        db.session.commit()


def _sign_out_here() -> None:
    # The person is loaded before the session is cleared, so logout_user() knows (and ends)
    # their signed-in session. The session is cleared before logout_user(), which leaves a note
    # in it that makes flask-login delete the "remember me" cookie.
    current_user._get_current_object()
    session.clear()
    logout_user()


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    # CSRFProtect has already checked the token, so a link on another site cannot sign people out.
    _sign_out_here()
    flash("You have signed out.", "success")
    return redirect(url_for("main.index"))


@bp.route("/account/sessions/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    signed_in.end_all(current_user)
    db.session.commit()
    _sign_out_here()
    flash("You have signed out on every device.", "success")
    return redirect(url_for("main.index"))


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    this_token = current_user.get_id()
    row = signed_in.own_live_session(current_user, session_id)
    if row is None:
        abort(404)  # someone else's session looks exactly like one that does not exist
    if signed_in.is_this_session(row, this_token):
        _sign_out_here()
        flash("You have signed out.", "success")
        return redirect(url_for("main.index"))
    signed_in.end(row)
    db.session.commit()
    flash("You have ended that session.", "success")
    return redirect(url_for("accounts.account"))
